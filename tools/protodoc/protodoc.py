#!/usr/bin/python3
"""The API reference of gnlc's protos, as Markdown, from their comments.

    protoc -I protos --include_source_info --include_imports \
        --descriptor_set_out=api.pb protos/gnlc/.../*.proto
    protodoc.py api.pb OUT_DIR                 # OUT_DIR/gnlc.catalog.v1.md, ..., index.md
    protodoc.py api.pb --undocumented          # every element without a comment

Every service, rpc, message, field, enum and value of the gnlc packages,
each with its comment; tests/docs/api_reference_test.sh keeps docs/api equal
to what this writes, and lists the elements still without a comment.
"""
import os
import sys

from google.protobuf import descriptor_pb2

# Paths into FileDescriptorProto (descriptor.proto's field numbers).
MESSAGE, ENUM, SERVICE = 4, 5, 6
FIELD, NESTED, NESTED_ENUM = 2, 3, 4
VALUE, METHOD = 2, 2

LABELS = {descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED: "repeated "}
SCALARS = {v: k[5:].lower() for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}


def comments_of(f):
    out = {}
    for loc in f.source_code_info.location:
        text = (loc.leading_comments or loc.trailing_comments).strip()
        if text:
            out[tuple(loc.path)] = " ".join(line.strip() for line in text.splitlines())
    return out


def type_of(field):
    if field.type_name:
        name = field.type_name.lstrip(".")
        if name.startswith("gnlc."):
            package = ".".join(name.split(".")[:3])
            qualified = name.split(".", 3)[3]
            return f"[`{qualified}`]({package}.md#{anchor(qualified)})"
        return f"`{name}`"
    return f"`{SCALARS[field.type]}`"


def anchor(qualified):
    """The anchor GitHub gives the heading "### Program.Foo": "programfoo"."""
    return qualified.lower().replace(".", "")


class Package:
    def __init__(self, name):
        self.name = name
        self.services, self.messages, self.enums = [], [], []
        self.undocumented = []

    def check(self, kind, qualified, text):
        if not text:
            self.undocumented.append(f"{kind} {qualified}")
        return text or "–"


def cell(text):
    return text.replace("|", "\\|")


def rpc_messages(fs):
    """{(package, "CreateProgramRequest"): "CreateProgram"}: the request and
    response messages named after an RPC, which that RPC's comment explains
    (as in Google's API references)."""
    out = {}
    for f in fs.file:
        for s in f.service:
            for m in s.method:
                for t in (m.input_type, m.output_type):
                    name = t.split(".")[-1]
                    if name in (m.name + "Request", m.name + "Response"):
                        out[(f.package, name)] = m.name
    return out


def collect(fs):
    packages = {}
    of_rpc = rpc_messages(fs)
    for f in fs.file:
        # The contract: gnlc's packages, not the test-only ones.
        if not f.name.startswith("gnlc/") or f.name.startswith("gnlc/testing/"):
            continue
        p = packages.setdefault(f.package, Package(f.package))
        c = comments_of(f)
        for i, s in enumerate(f.service):
            rpcs = []
            for j, m in enumerate(s.method):
                text = p.check("rpc", f"{f.package}.{s.name}.{m.name}", c.get((SERVICE, i, METHOD, j)))
                stream = "stream " if m.server_streaming else ""
                rpcs.append((m.name, m.input_type.split(".")[-1], m.output_type.split(".")[-1],
                             stream, text))
            p.services.append((s.name, p.check("service", f"{f.package}.{s.name}", c.get((SERVICE, i))), rpcs, f.name))

        def message(m, path, prefix):
            qualified = prefix + m.name
            text = c.get(tuple(path))
            if not text and (f.package, qualified) in of_rpc:
                kind = "request" if qualified.endswith("Request") else "response"
                text = f"The {kind} of `{of_rpc[(f.package, qualified)]}`."
            text = p.check("message", f"{f.package}.{qualified}", text)
            fields = []
            for j, fd in enumerate(m.field):
                ftext = p.check("field", f"{f.package}.{qualified}.{fd.name}", c.get(tuple(path + [FIELD, j])))
                fields.append((fd.name, fd.number, LABELS.get(fd.label, "") + type_of(fd), ftext))
            p.messages.append((qualified, text, fields, f.name))
            for j, nested in enumerate(m.nested_type):
                if not nested.options.map_entry:
                    message(nested, path + [NESTED, j], qualified + ".")
            for j, e in enumerate(m.enum_type):
                enum(e, path + [NESTED_ENUM, j], qualified + ".")

        def enum(e, path, prefix):
            qualified = prefix + e.name
            text = p.check("enum", f"{f.package}.{qualified}", c.get(tuple(path)))
            values = [(v.name, v.number, p.check("value", f"{f.package}.{qualified}.{v.name}",
                                                 c.get(tuple(path + [VALUE, k]))))
                      for k, v in enumerate(e.value)]
            p.enums.append((qualified, text, values, f.name))

        for i, m in enumerate(f.message_type):
            message(m, [MESSAGE, i], "")
        for i, e in enumerate(f.enum_type):
            enum(e, [ENUM, i], "")
    return packages


def write(p, out_dir):
    lines = [f"# `{p.name}`", "",
             "Generated from the comments in `protos/` by `tools/protodoc/protodoc.py`; do not edit.",
             "Who may call each RPC: [the permission table](../operations/security.md).", ""]
    for name, text, rpcs, source in p.services:
        lines += [f"## {name}", "", f"{text} (`{source}`)", "", "| rpc | request | response | |", "|---|---|---|---|"]
        lines += [f"| `{r}` | [`{i}`](#{anchor(i)}) | {st}[`{o}`](#{anchor(o)}) | {cell(t)} |"
                  for r, i, o, st, t in rpcs]
        lines.append("")
    if p.messages:
        lines += ["## Messages", ""]
    for name, text, fields, source in sorted(p.messages):
        lines += [f"### {name}", "", f"{text} (`{source}`)", ""]
        if fields:
            lines += ["| field | # | type | |", "|---|---|---|---|"]
            lines += [f"| `{n}` | {num} | {t} | {cell(d)} |" for n, num, t, d in fields]
            lines.append("")
    if p.enums:
        lines += ["## Enums", ""]
    for name, text, values, source in sorted(p.enums):
        lines += [f"### {name}", "", f"{text} (`{source}`)", "", "| value | # | |", "|---|---|---|"]
        lines += [f"| `{n}` | {num} | {cell(d)} |" for n, num, d in values]
        lines.append("")
    with open(os.path.join(out_dir, f"{p.name}.md"), "w") as out:
        out.write("\n".join(lines).rstrip("\n") + "\n")


def main():
    fs = descriptor_pb2.FileDescriptorSet()
    with open(sys.argv[1], "rb") as f:
        fs.ParseFromString(f.read())
    packages = collect(fs)
    if sys.argv[2] == "--undocumented":
        for p in sorted(packages):
            for item in packages[p].undocumented:
                print(item)
        return
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    index = ["# API reference", "",
             "Every service, RPC, message, field and enum of gnlc's protos (`protos/gnlc/`), "
             "generated from their comments. Errors are canonical gRPC codes with a "
             "`google.rpc.ErrorInfo` ([Architecture](../architecture.md)); who may call what is "
             "in [the permission table](../operations/security.md).", ""]
    for name in sorted(packages):
        write(packages[name], out_dir)
        services = ", ".join(s[0] for s in packages[name].services) or "messages only"
        index.append(f"- [`{name}`]({name}.md): {services}")
    with open(os.path.join(out_dir, "index.md"), "w") as out:
        out.write("\n".join(index) + "\n")


if __name__ == "__main__":
    main()

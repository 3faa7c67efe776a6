#!/usr/bin/env python3
"""Differential fuzzing of jllm's Jinja interpreter against Python Jinja2 (configured as transformers does).

    python3 fuzz_against_python_jinja.py expressions SEED COUNT   # random {{ expressions }} over a fixed context
    python3 fuzz_against_python_jinja.py statements SEED COUNT    # random if/for/set/macro/break programs with
                                                                # random whitespace control (scoping, lexing)
    python3 fuzz_against_python_jinja.py templates SEED PER_TEMPLATE [TEMPLATES_DIR]
                                                                # random conversations through real chat templates

Renders every case with Python Jinja2 and with `./jllm template` (run from the project root, after a build), and
prints each case whose output differs (or that fails on one side only). Needs jinja2 3.1.
Known, accepted differences: Jinja2 folds constant sub-expressions at compile time (so `(2)[1:]` is undefined
instead of a TypeError), filters that return lazy generators in Python (`unique`, `items`) fail eagerly here, and
`|safe`/`|e` return plain strings (no Markup type).
"""
import copy, datetime, json, os, random, subprocess, sys, tempfile

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


class AssistantTracker(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: datetime.datetime(2025, 1, 15, 10, 30, 0).strftime(f)

# ----------------------------------------------------------------------------- random expressions
CTX = {"x": 5, "d": {"a": 1, "b": [2, 3]}, "l": [1, 2, 3], "s": "Hello, World", "n": None, "f": 2.5}
STRS = ["''", "'a'", "'Hello World'", "' pad '", "'x,y,,z'", "'ÄÖü ß'", "'日本'", "'😀x'", "'a\\nb'", "\"it's\"",
        "'\\t'", "'3'", "'-2.5'", "'abc'", "'ABC def'", "'1_000'", "' 42 '"]
NUMS = ["0", "1", "-1", "2", "3", "7", "10", "-3", "255", "1.5", "-0.5", "2.0", "0.1", "1e3", "3.14159", "100",
        "12345678901234567890", "2.675", "0.0"]
LEAVES = STRS + NUMS + ["none", "true", "false", "[]", "[1, 2, 3]", "['b', 'a', 'C']", "{}", "{'a': 1, 'b': [2, 3]}",
                        "(1, 'x')", "x", "d", "l", "s", "n", "f", "undefined_thing", "d.a", "d.b"]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
FILTERS = ["length", "string", "trim", "upper", "lower", "title", "capitalize", "first", "last", "list", "reverse",
           "sort", "abs", "int", "float", "round", "tojson", "join", "join(', ')", "default('D')",
           "default('D', true)", "dictsort", "min", "max", "sum", "indent(2)", "center(9)", "replace('a', 'Z')",
           "batch(2)|list", "select('odd')|list", "reject('none')|list", "map('string')|list", "wordcount", "round(1)",
           "int(7)", "float(9.5)", "count", "tojson(indent=1)", "sort(reverse=true)", "format"]
METHODS = ["strip()", "lstrip()", "rstrip('d ')", "split()", "split(',')", "split(',', 1)", "rsplit(',', 1)",
           "upper()", "lower()", "title()", "capitalize()", "startswith('H')", "endswith('d')", "replace('l', 'L')",
           "find('o')", "count('l')", "isdigit()", "isalpha()", "splitlines()", "zfill(6)", "center(8, '*')",
           "ljust(5)", "partition(',')", "format(1, 2)", "join(['p', 'q'])", "get('a')", "get('z', 0)", "index(2)"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
         "boolean", "true", "false", "odd", "even", "divisibleby 3", "equalto 1", "in [1, 'a']", "lower", "upper",
         "sameas none", "gt 1", "le 2", "eq 'a'"]


def expression(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.25:
        return rng.choice(LEAVES)
    sub = lambda: expression(rng, depth - 1)
    if r < 0.45:
        return "(%s %s %s)" % (sub(), rng.choice(BINOPS), sub())
    if r < 0.62:
        return "(%s|%s)" % (sub(), rng.choice(FILTERS))
    if r < 0.72:
        return "(%s).%s" % (sub(), rng.choice(METHODS))
    if r < 0.80:
        return "(%s is %s%s)" % (sub(), rng.choice(["", "not "]), rng.choice(TESTS))
    if r < 0.86:
        return "(%s if %s else %s)" % (sub(), sub(), sub())
    if r < 0.90:
        return "(not %s)" % sub()
    if r < 0.94:
        return "(-%s)" % sub()
    if r < 0.97:
        return "[%s, %s]" % (sub(), sub())
    return "%s[%s]" % (rng.choice(["x", "d", "l", "s", "n", "f", "d.b"]), rng.choice(["0", "-1", "1:", "::-1", "'a'", ":2"]))


def expression_cases(seed, count, workdir):
    rng = random.Random(seed)
    for i in range(count):
        source = "{{ " + expression(rng, rng.randint(1, 4)) + " }}"
        path = os.path.join(workdir, "e%d.jinja" % i)
        with open(path, "w") as f:
            f.write(source)
        yield source, {"template_file": path, "messages": [], "extra_context": CTX}, dict(CTX, messages=[])


# ----------------------------------------------------------------------------- random statements
STMT_VARS = ["a", "b", "c", "i", "ns.v", "loop.index", "loop.first", "items", "a ~ b", "i * 2", "'lit'",
             "(a if a else b)", "items|length", "undefined_v"]


def statement_cases(seed, count, workdir):
    rng = random.Random(seed)

    def ws():
        return rng.choice(["", "", " ", "\n", "\n  ", "  \n", "\n\n", "\t", " \n    "])

    def tag(body):
        return ws() + rng.choice(["{%", "{%-", "{%+"]) + " " + body + " " + rng.choice(["%}", "-%}"]) + ws()

    def out(e):
        return rng.choice(["{{", "{{-"]) + " " + e + " " + rng.choice(["}}", "-}}"])

    def block(depth, in_loop):
        parts = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if depth <= 0 or r < 0.25:
                parts.append(rng.choice(["x", "y ", " z", "\n", "w\n", "  indented\n", ""]))
            elif r < 0.45:
                parts.append(out(rng.choice(STMT_VARS)))
            elif r < 0.55:
                parts.append(tag("if " + rng.choice(STMT_VARS)) + block(depth - 1, in_loop)
                             + (tag("elif " + rng.choice(STMT_VARS)) + block(depth - 1, in_loop) if rng.random() < 0.3 else "")
                             + (tag("else") + block(depth - 1, in_loop) if rng.random() < 0.5 else "") + tag("endif"))
            elif r < 0.67:
                iterable = rng.choice(["items", "[1, 2, 3]", "range(3)", "[]", "'ab'", "{'k': 1, 'j': 2}"])
                cond = (" if " + rng.choice(["i", "i != 2"])) if rng.random() < 0.2 else ""
                parts.append(tag("for i in " + iterable + cond) + block(depth - 1, True)
                             + (tag("else") + block(depth - 1, in_loop) if rng.random() < 0.3 else "") + tag("endfor"))
            elif r < 0.77:
                parts.append(tag("set " + rng.choice(["a", "b", "c"]) + " = " + rng.choice(STMT_VARS)))
            elif r < 0.83:
                parts.append(tag("set ns.v = " + rng.choice(STMT_VARS)))
            elif r < 0.88:
                parts.append(tag("set " + rng.choice(["a", "b"])) + block(depth - 1, in_loop) + tag("endset"))
            elif r < 0.93 and in_loop:
                parts.append(tag("if " + rng.choice(["i == 1", "loop.last", "a"])) + tag(rng.choice(["break", "continue"]))
                             + tag("endif"))
            else:
                parts.append(tag("macro m(p, q=2)") + block(depth - 1, False).replace("loop.", "p.") + out("p ~ q")
                             + tag("endmacro") + out("m(" + rng.choice(STMT_VARS) + ")"))
        return "".join(parts)

    for k in range(count):
        source = tag("set ns = namespace(v=0)") + block(3, False)
        ctx = {"a": rng.choice([1, 0, "s", None]), "b": "B", "items": [1, 2, 3]}
        path = os.path.join(workdir, "s%d.jinja" % k)
        with open(path, "w") as f:
            f.write(source)
        yield source, {"template_file": path, "messages": [], "extra_context": ctx}, dict(ctx, messages=[])


# ----------------------------------------------------------------------------- random conversations
TEXTS = ["Hello", "  spaced  ", "multi\nline\n", "quotes ' \" and \\ backslash", "unicode: héllo 日本語 😀 — ok", "",
         "<think>I reason</think>Answer", "tabs\tand\r\nCRLF", "{{ not a template }}", "1 + 1 = 2?", "\n\nleading"]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                     "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}]


def conversation(rng, style):
    msgs = []
    if rng.random() < 0.5:
        msgs.append({"role": "system", "content": rng.choice(TEXTS) or "sys"})
    for t in range(rng.randint(0, 3)):
        msgs.append({"role": "user", "content": rng.choice(TEXTS) or "u"})
        if style is not None and rng.random() < 0.3:
            args = {"city": "Paris", "unit": "c"}
            call = {"type": "function", "function": {"name": "get_weather",
                                                     "arguments": json.dumps(args) if style == "deepseek" else args}}
            msgs.append({"role": "assistant", "content": rng.choice(["", None, "Let me check."]), "tool_calls": [call]})
            msgs.append({"role": "tool", "content": rng.choice(['{"temp": 21}', "21 degrees"]), "tool_call_id": "c%d" % t})
        msgs.append({"role": "assistant", "content": rng.choice(TEXTS) or "a"})
    return msgs


def template_cases(seed, per_template, templates_dir):
    rng = random.Random(seed)
    manifest = json.load(open(os.path.join(templates_dir, "manifest.json")))
    for entry in manifest:
        path = os.path.join(templates_dir, entry["file"])
        for _ in range(per_template):
            style = entry.get("tool_style", "dict") if entry.get("tools") and rng.random() < 0.6 else None
            request = {"template_file": path, "messages": conversation(rng, style),
                       "tools": TOOLS if style else None, "add_generation_prompt": rng.random() < 0.5,
                       "bos_token": entry["bos_token"], "eos_token": entry["eos_token"], "extra_context": {}}
            if rng.random() < 0.3:
                request["extra_context"]["enable_thinking"] = rng.random() < 0.5
            ctx = dict(messages=request["messages"], tools=request["tools"], documents=None,
                       add_generation_prompt=request["add_generation_prompt"], **request["extra_context"])
            for key in ("bos_token", "eos_token"):
                if entry[key] is not None:
                    ctx[key] = entry[key]
            yield open(path).read(), request, ctx


def main():
    mode, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workdir = tempfile.mkdtemp(prefix="jinja-fuzz-")
    if mode == "expressions":
        cases = list(expression_cases(seed, count, workdir))
    elif mode == "statements":
        cases = list(statement_cases(seed, count, workdir))
    else:
        templates_dir = sys.argv[4] if len(sys.argv) > 4 else os.path.join(ROOT, "..", "shared", "chat_templates")
        cases = list(template_cases(seed, count, templates_dir))
    expected = []
    for source, _, ctx in cases:
        try:
            # a copy: Python's indent filter can extend a list argument in place (list += "\n")
            expected.append(("rendered", env.from_string(source).render(**copy.deepcopy(ctx))))
        except Exception as e:
            expected.append(("error", "%s: %s" % (type(e).__name__, e)))
    stdin = "".join(json.dumps(request) + "\n" for _, request, _ in cases)
    run = subprocess.run([os.path.join(ROOT, "jllm"), "template", "--now", "2025-01-15T10:30:00"], input=stdin,
                         capture_output=True, text=True, cwd=ROOT)
    outputs = [json.loads(line) for line in run.stdout.splitlines()]
    if len(outputs) != len(cases):
        sys.exit("jllm template answered %d lines for %d cases: %s" % (len(outputs), len(cases), run.stderr[-2000:]))
    mismatches = 0
    for (source, _, _), (kind, value), out in zip(cases, expected, outputs):
        if kind == "rendered" and (" object at 0x" in value or "<built-in" in value or "Markup(" in value):
            continue  # Python printed an iterator, a method or Markup: no Java counterpart to compare
        same = ("error" in out) if kind == "error" else out.get("rendered") == value
        if not same:
            mismatches += 1
            print("MISMATCH %s\n  python: %s %r\n  jllm:   %r" % (source[:300], kind, value[:300], out))
    print("cases %d, mismatches %d" % (len(cases), mismatches))


if __name__ == "__main__":
    main()

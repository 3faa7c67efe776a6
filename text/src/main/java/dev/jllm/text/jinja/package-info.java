/**
 * A sandboxed Jinja2 interpreter, written for chat templates: it renders what Python Jinja2 renders when configured
 * as transformers configures it ({@code ImmutableSandboxedEnvironment}, {@code trim_blocks}, {@code lstrip_blocks},
 * loop controls, {@code {% generation %}}).
 *
 * <p>Pipeline: {@link dev.jllm.text.jinja.Lexer} (whitespace control applied while lexing, as Jinja does) →
 * {@link dev.jllm.text.jinja.Parser} (Jinja's grammar and precedence; unknown filters and tests fail at compile
 * time, as in Jinja) → an AST of records ({@link dev.jllm.text.jinja.Node}) → {@link dev.jllm.text.jinja.Interpreter}
 * (a tree walker). Values are {@link dev.jllm.text.jinja.Value}s with Python semantics implemented in
 * {@link dev.jllm.text.jinja.Py}: arbitrary-precision ints, float repr, str/repr of containers, json.dumps.
 *
 * <p>Sandbox: a template only ever sees {@code Value}s, never Java objects, so there is no path to reflection, files
 * or the network; {@code __}-attributes are a SecurityError; lists and dicts are immutable. Every render is bounded
 * by {@link dev.jllm.text.jinja.Limits} (time, steps, recursion depth, string size, total building, range length).
 *
 * <p>Entry point: {@link dev.jllm.text.jinja.Template#compile} then {@code render}.
 */
package dev.jllm.text.jinja;

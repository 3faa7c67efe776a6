package dev.jllm.text.jinja;

import java.util.List;

/** The template AST: statements ({@link Stmt}) and expressions ({@link Expr}), each carrying its source position. */
public sealed interface Node {

    Pos pos();

    /** 1-based line and column in the template source. */
    record Pos(int line, int column) {}

    // ------------------------------------------------------------------ expressions

    sealed interface Expr extends Node {}

    record Literal(Pos pos, Value value) implements Expr {}

    record Name(Pos pos, String name) implements Expr {}

    record ListLiteral(Pos pos, List<Expr> items) implements Expr {}

    record TupleLiteral(Pos pos, List<Expr> items) implements Expr {}

    record DictLiteral(Pos pos, List<Expr> keys, List<Expr> values) implements Expr {}

    /** {@code obj.name}: attribute first, then item, as Jinja's {@code getattr}. */
    record GetAttr(Pos pos, Expr object, String name) implements Expr {}

    /** {@code obj[index]}: item first, then attribute, as Jinja's {@code getitem}. */
    record GetItem(Pos pos, Expr object, Expr index) implements Expr {}

    /** {@code start:stop:step} inside brackets; any part may be null. */
    record Slice(Pos pos, Expr start, Expr stop, Expr step) implements Expr {}

    record Keyword(String name, Expr value) {}

    record Call(Pos pos, Expr callee, List<Expr> args, List<Keyword> kwargs, Expr starArgs, Expr starKwargs)
            implements Expr {}

    /** {@code value | name(args)}; {@code value} is null inside a {@code {% filter %}} block's chain. */
    record Filter(Pos pos, Expr value, String name, List<Expr> args, List<Keyword> kwargs) implements Expr {}

    /** {@code value is name(args)}. */
    record Test(Pos pos, Expr value, String name, List<Expr> args, List<Keyword> kwargs) implements Expr {}

    /** {@code not x}, {@code -x}, {@code +x}. */
    record Unary(Pos pos, String op, Expr operand) implements Expr {}

    /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
    record Binary(Pos pos, String op, Expr left, Expr right) implements Expr {}

    /** A comparison chain {@code a < b <= c}; ops are {@code == != < <= > >= in notin}. */
    record Compare(Pos pos, Expr first, List<String> ops, List<Expr> operands) implements Expr {}

    /** {@code a if test else b}; {@code otherwise} null means undefined. */
    record Conditional(Pos pos, Expr test, Expr then, Expr otherwise) implements Expr {}

    // ------------------------------------------------------------------ assignment targets

    sealed interface Target {}

    record NameTarget(String name) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    /** {@code ns.attr}: only a namespace may be assigned this way. */
    record AttrTarget(Pos pos, String object, String attr) implements Target {}

    record Param(String name, Expr defaultValue) {}

    // ------------------------------------------------------------------ statements

    sealed interface Stmt extends Node {}

    record Text(Pos pos, String text) implements Stmt {}

    record Output(Pos pos, Expr expr) implements Stmt {}

    record If(Pos pos, List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> otherwise) implements Stmt {}

    record For(Pos pos, Target target, Expr iterable, Expr filter, boolean recursive, List<Stmt> body,
               List<Stmt> otherwise) implements Stmt {}

    record Set(Pos pos, Target target, Expr value) implements Stmt {}

    /** {@code {% set x | filters %}body{% endset %}}. */
    record SetBlock(Pos pos, Target target, List<Filter> filters, List<Stmt> body) implements Stmt {}

    record Macro(Pos pos, String name, List<Param> params, List<Stmt> body) implements Stmt {}

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: the body becomes the macro's {@code caller()}. */
    record CallBlock(Pos pos, Call call, List<Param> callerParams, List<Stmt> body) implements Stmt {}

    record FilterBlock(Pos pos, List<Filter> filters, List<Stmt> body) implements Stmt {}

    record With(Pos pos, List<Target> targets, List<Expr> values, List<Stmt> body) implements Stmt {}

    /** transformers' {@code {% generation %}}: marks the assistant's part of the output. */
    record Generation(Pos pos, List<Stmt> body) implements Stmt {}

    record Break(Pos pos) implements Stmt {}

    record Continue(Pos pos) implements Stmt {}
}

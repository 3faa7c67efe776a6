package dev.jllm.text.jinja;

import dev.jllm.text.jinja.Lexer.Token;
import dev.jllm.text.jinja.Lexer.Type;
import dev.jllm.text.jinja.Node.*;
import dev.jllm.text.jinja.TemplateException.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;


/** Parses Jinja2 tokens into the {@link Node} AST, with Jinja2's grammar and operator precedence. */
final class Parser {
    private static final java.util.Set<String> COMPARE_OPS = java.util.Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final java.util.Set<String> TEST_ARG_START = java.util.Set.of("(", "[", "{");

    private final List<Token> tokens;
    private final Lexer lexer;
    private final String name;
    private int i;
    /** Loops enclosing the statement being parsed, within the current macro or call body (break/continue need one). */
    private int loopDepth;

    Parser(String source, String name) {
        this.name = name;
        this.lexer = new Lexer(source, name, true, true);
        this.tokens = lexer.tokenize();
    }

    List<Stmt> parseTemplate() {
        List<Stmt> body = parseStatements();
        if (peek().type() != Type.EOF) throw error(peek(), "unexpected '" + peek().text() + "'");
        return body;
    }

    // ------------------------------------------------------------------ helpers

    private Token peek() {
        return tokens.get(i);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(i + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.type() != Type.EOF) i++;
        return t;
    }

    private Pos pos(Token t) {
        return lexer.position(t.offset());
    }

    private TemplateException error(Token at, String message) {
        Pos p = pos(at);
        return new TemplateException(Kind.TemplateSyntaxError, message, name, p.line(), p.column());
    }

    private static String describe(Token t) {
        return switch (t.type()) {
            case EOF -> "end of template";
            case TEXT -> "template text";
            case BLOCK_END -> "end of statement block";
            case VAR_END -> "end of print statement";
            default -> "'" + t.text() + "'";
        };
    }

    private Token expectOp(String op) {
        Token t = peek();
        if (!t.isOp(op)) throw error(t, "expected '" + op + "', got " + describe(t));
        return next();
    }

    private Token expectName() {
        Token t = peek();
        if (t.type() != Type.NAME) throw error(t, "expected a name, got " + describe(t));
        return next();
    }

    private void expectName(String word) {
        Token t = peek();
        if (!t.isName(word)) throw error(t, "expected '" + word + "', got " + describe(t));
        next();
    }

    private void expectBlockEnd() {
        Token t = peek();
        if (t.type() != Type.BLOCK_END) throw error(t, "expected end of statement block ('%}'), got " + describe(t));
        next();
    }

    private boolean skipOp(String op) {
        if (peek().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ statements

    /** Statements up to (not including) a block whose tag is one of {@code ends}; stops after its '{%'. */
    private List<Stmt> parseStatements(String... ends) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case TEXT -> {
                    next();
                    body.add(new Text(pos(t), t.text()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple(true, false);
                    Token end = peek();
                    if (end.type() != Type.VAR_END) throw error(end, "expected end of print statement ('}}'), got " + describe(end));
                    next();
                    body.add(new Output(pos(t), e));
                }
                case BLOCK_BEGIN -> {
                    Token tag = peek(1);
                    if (tag.type() == Type.NAME && Arrays.asList(ends).contains(tag.text())) {
                        next();
                        return body;
                    }
                    next();
                    body.add(parseStatement(ends));
                }
                case EOF -> {
                    if (ends.length > 0) {
                        throw error(t, "unexpected end of template: expected " + expectedTags(ends));
                    }
                    return body;
                }
                default -> throw error(t, "unexpected " + describe(t));
            }
        }
    }

    private static String expectedTags(String[] ends) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < ends.length; k++) {
            if (k > 0) sb.append(k == ends.length - 1 ? " or " : ", ");
            sb.append("'{% ").append(ends[k]).append(" %}'");
        }
        return sb.toString();
    }

    private Stmt parseStatement(String[] enclosingEnds) {
        Token tag = peek();
        if (tag.type() != Type.NAME) throw error(tag, "expected a statement name after '{%', got " + describe(tag));
        Pos p = pos(tag);
        next();
        return switch (tag.text()) {
            case "if" -> parseIf(p);
            case "for" -> parseFor(p);
            case "set" -> parseSet(p);
            case "macro" -> parseMacro(p);
            case "call" -> parseCallBlock(p);
            case "filter" -> parseFilterBlock(p);
            case "with" -> parseWith(p);
            case "generation" -> {
                expectBlockEnd();
                // Jinja compiles the block as a call block: a function of its own, outside any loop
                List<Stmt> body = outsideLoops(() -> parseStatements("endgeneration"));
                next();
                expectBlockEnd();
                yield new Generation(p, body);
            }
            case "break", "continue" -> {
                if (loopDepth == 0) throw error(tag, "'" + tag.text() + "' outside of a loop");
                expectBlockEnd();
                yield tag.text().equals("break") ? new Break(p) : new Continue(p);
            }
            case "include", "import", "from", "extends", "block" -> throw error(tag,
                    "'" + tag.text() + "' is not supported: a chat template is a single self-contained template");
            default -> throw error(tag, "unknown tag '" + tag.text() + "'"
                    + (enclosingEnds.length > 0 ? "; expected " + expectedTags(enclosingEnds) : ""));
        };
    }

    private Stmt parseIf(Pos p) {
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        tests.add(parseTuple(false, false));
        expectBlockEnd();
        while (true) {
            bodies.add(parseStatements("elif", "else", "endif"));
            Token t = next();
            switch (t.text()) {
                case "elif" -> {
                    tests.add(parseTuple(false, false));
                    expectBlockEnd();
                }
                case "else" -> {
                    expectBlockEnd();
                    List<Stmt> otherwise = parseStatements("endif");
                    next();
                    expectBlockEnd();
                    return new If(p, tests, bodies, otherwise);
                }
                default -> {
                    expectBlockEnd();
                    return new If(p, tests, bodies, List.of());
                }
            }
        }
    }

    private Stmt parseFor(Pos p) {
        Token targetStart = peek();
        Target target = parseAssignTarget(true, false);
        if (assigns(target, "loop")) throw error(targetStart, "can't assign to the special loop variable in a for-loop target");
        expectName("in");
        Expr iterable = parseTuple(false, true);
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = parseTuple(true, false);
        }
        boolean recursive = false;
        if (peek().isName("recursive")) {
            next();
            recursive = true;
        }
        expectBlockEnd();
        loopDepth++;
        List<Stmt> body;
        try {
            body = parseStatements("else", "endfor");
        } finally {
            loopDepth--;
        }
        List<Stmt> otherwise = List.of();
        if (next().text().equals("else")) {
            expectBlockEnd();
            otherwise = parseStatements("endfor");
            next();
        }
        expectBlockEnd();
        return new For(p, target, iterable, filter, recursive, body, otherwise);
    }

    private Stmt parseSet(Pos p) {
        Target target = parseAssignTarget(true, true);
        if (skipOp("=")) {
            Expr value = parseTuple(true, false);
            expectBlockEnd();
            return new Node.Set(p, target, value);
        }
        List<Filter> filters = parseFilterChain();
        expectBlockEnd();
        List<Stmt> body = parseStatements("endset");
        next();
        expectBlockEnd();
        return new SetBlock(p, target, filters, body);
    }

    /** A chain {@code | f(args) | g} as it appears in block set and filter blocks (the first bar optional). */
    private List<Filter> parseFilterChain() {
        List<Filter> filters = new ArrayList<>();
        // a filter block starts with the name ({% filter upper %}); a block set with a bar ({% set x | upper %})
        if (peek().type() == Type.NAME) filters.add(parseFilterCall(null));
        while (peek().isOp("|")) {
            next();
            filters.add(parseFilterCall(null));
        }
        return filters;
    }

    private Stmt parseMacro(Pos p) {
        String macroName = expectName().text();
        List<Param> params = parseParams();
        expectBlockEnd();
        List<Stmt> body = outsideLoops(() -> parseStatements("endmacro"));
        next();
        expectBlockEnd();
        return new Macro(p, macroName, params, body);
    }

    private List<Param> parseParams() {
        List<Param> params = new ArrayList<>();
        expectOp("(");
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (peek().isOp(")")) break;
            String paramName = expectName().text();
            Expr dflt = null;
            if (skipOp("=")) dflt = parseExpression(true);
            params.add(new Param(paramName, dflt));
        }
        expectOp(")");
        return params;
    }

    private Stmt parseCallBlock(Pos p) {
        List<Param> callerParams = peek().isOp("(") ? parseParams() : List.of();
        Token at = peek();
        Expr e = parseExpression(true);
        if (!(e instanceof Call call)) throw error(at, "expected a call after 'call'");
        expectBlockEnd();
        List<Stmt> body = outsideLoops(() -> parseStatements("endcall"));
        next();
        expectBlockEnd();
        return new CallBlock(p, call, callerParams, body);
    }

    private Stmt parseFilterBlock(Pos p) {
        List<Filter> filters = parseFilterChain();
        if (filters.isEmpty()) throw error(peek(), "expected a filter name after 'filter'");
        expectBlockEnd();
        List<Stmt> body = parseStatements("endfilter");
        next();
        expectBlockEnd();
        return new FilterBlock(p, filters, body);
    }

    private Stmt parseWith(Pos p) {
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(false, false));
            expectOp("=");
            values.add(parseExpression(true));
        }
        expectBlockEnd();
        List<Stmt> body = parseStatements("endwith");
        next();
        expectBlockEnd();
        return new With(p, targets, values, body);
    }

    /** Parses a body compiled as a function of its own (macro, call, generation), where no loop encloses it. */
    private List<Stmt> outsideLoops(java.util.function.Supplier<List<Stmt>> body) {
        int saved = loopDepth;
        loopDepth = 0;
        try {
            return body.get();
        } finally {
            loopDepth = saved;
        }
    }

    private static boolean assigns(Target t, String name) {
        return switch (t) {
            case NameTarget n -> n.name().equals(name);
            case TupleTarget tt -> tt.items().stream().anyMatch(x -> assigns(x, name));
            case AttrTarget a -> false;
        };
    }

    private Target parseAssignTarget(boolean withTuple, boolean withNamespace) {
        Token t = peek();
        if (withNamespace && t.type() == Type.NAME && peek(1).isOp(".")) {
            next();
            next();
            return new AttrTarget(pos(t), t.text(), expectName().text());
        }
        List<Target> items = new ArrayList<>();
        boolean parenthesized = false;
        if (withTuple && t.isOp("(")) {
            next();
            parenthesized = true;
        }
        while (true) {
            if (peek().isOp("(")) items.add(parseAssignTarget(true, false));
            else items.add(new NameTarget(expectName().text()));
            if (!withTuple || !peek().isOp(",")) break;
            next();
            if (!(peek().type() == Type.NAME || peek().isOp("("))) break;
        }
        if (parenthesized) expectOp(")");
        boolean tuple = items.size() > 1 || parenthesized || (withTuple && tokens.get(i - 1).isOp(","));
        return tuple ? new TupleTarget(items) : items.getFirst();
    }

    // ------------------------------------------------------------------ expressions

    /** An expression, or a tuple when commas follow ({@code {{ a, b }}}, {@code set x = 1, 2}). */
    private Expr parseTuple(boolean withCondexpr, boolean stopAtIf) {
        Token start = peek();
        List<Expr> items = new ArrayList<>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!peek().isOp(",")) break;
                next();
                comma = true;
            }
            if (isTupleEnd(stopAtIf)) break;
            items.add(parseExpression(withCondexpr));
        }
        if (items.isEmpty() && !comma) throw error(peek(), "expected an expression, got " + describe(peek()));
        if (!comma && items.size() == 1) return items.getFirst();
        return new TupleLiteral(pos(start), items);
    }

    private boolean isTupleEnd(boolean stopAtIf) {
        Token t = peek();
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.type() == Type.EOF
                || t.isOp(")") || t.isOp("]") || t.isOp("}") || t.isOp("=")
                || (stopAtIf && (t.isName("if") || t.isName("recursive")));
    }

    private Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseConditional() : parseOr();
    }

    private Expr parseConditional() {
        Expr expr = parseOr();
        while (peek().isName("if")) {
            Token t = next();
            Expr test = parseOr();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = parseConditional();
            }
            expr = new Conditional(pos(t), test, expr, otherwise);
        }
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            Token t = next();
            left = new Binary(pos(t), "or", left, parseAnd());
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            Token t = next();
            left = new Binary(pos(t), "and", left, parseNot());
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            Token t = next();
            return new Unary(pos(t), "not", parseNot());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Token start = peek();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            operands.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(pos(start), first, ops, operands);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token t = next();
            left = new Binary(pos(t), t.text(), left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOp("~")) {
            Token t = next();
            left = new Binary(pos(t), "~", left, parseMath2());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token t = next();
            left = new Binary(pos(t), t.text(), left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOp("**")) {
            Token t = next();
            left = new Binary(pos(t), "**", left, parseUnary(true));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = peek();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            node = new Unary(pos(t), t.text(), parseUnary(false));
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) node = parseFilterExpr(node);
        return node;
    }

    private Expr parsePrimary() {
        Token t = peek();
        Pos p = pos(t);
        switch (t.type()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Literal(p, Value.TRUE);
                    case "false", "False" -> new Literal(p, Value.FALSE);
                    case "none", "None" -> new Literal(p, Value.NONE);
                    default -> new Name(p, t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (peek().type() == Type.STRING) sb.append(((Value.Str) next().value()).s());
                return new Literal(p, new Value.Str(sb.toString()));
            }
            case INT, FLOAT -> {
                next();
                return new Literal(p, t.value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        next();
                        if (peek().isOp(")")) {
                            next();
                            return new TupleLiteral(p, List.of());
                        }
                        Expr inner = parseTuple(true, false);
                        expectOp(")");
                        return inner;
                    }
                    case "[" -> {
                        next();
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (peek().isOp("]")) break;
                            items.add(parseExpression(true));
                        }
                        expectOp("]");
                        return new ListLiteral(p, items);
                    }
                    case "{" -> {
                        next();
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (peek().isOp("}")) break;
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        expectOp("}");
                        return new DictLiteral(p, keys, values);
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw error(t, "expected an expression, got " + describe(t));
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token attr = next();
                if (attr.type() == Type.NAME) node = new GetAttr(pos(t), node, attr.text());
                else if (attr.type() == Type.INT) node = new GetItem(pos(t), node, new Literal(pos(attr), attr.value()));
                else throw error(attr, "expected an attribute name after '.', got " + describe(attr));
            } else if (t.isOp("[")) {
                next();
                List<Expr> args = new ArrayList<>();
                boolean comma = false;
                while (!peek().isOp("]")) {
                    if (!args.isEmpty()) {
                        expectOp(",");
                        comma = true;
                        if (peek().isOp("]")) break;
                    }
                    args.add(parseSubscribed());
                }
                expectOp("]");
                if (args.isEmpty()) throw error(t, "expected a subscript inside '[]'");
                Expr index = args.size() == 1 && !comma ? args.getFirst() : new TupleLiteral(pos(t), args);
                node = new GetItem(pos(t), node, index);
            } else if (t.isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscribed() {
        Token t = peek();
        Expr start = null;
        if (t.isOp(":")) {
            next();
        } else {
            Expr e = parseExpression(true);
            if (!peek().isOp(":")) return e;
            next();
            start = e;
        }
        Expr stop = null;
        if (!peek().isOp("]") && !peek().isOp(",") && !peek().isOp(":")) stop = parseExpression(true);
        Expr step = null;
        if (peek().isOp(":")) {
            next();
            if (!peek().isOp("]") && !peek().isOp(",")) step = parseExpression(true);
        }
        return new Slice(pos(t), start, stop, step);
    }

    private record CallArgs(List<Expr> args, List<Keyword> kwargs, Expr starArgs, Expr starKwargs) {}

    private CallArgs parseCallArgs() {
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<Keyword> kwargs = new ArrayList<>();
        Expr starArgs = null;
        Expr starKwargs = null;
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expectOp(",");
                if (peek().isOp(")")) break;
            }
            first = false;
            if (peek().isOp("*")) {
                next();
                starArgs = parseExpression(true);
            } else if (peek().isOp("**")) {
                next();
                starKwargs = parseExpression(true);
            } else if (peek().type() == Type.NAME && peek(1).isOp("=")) {
                String key = next().text();
                next();
                kwargs.add(new Keyword(key, parseExpression(true)));
            } else {
                if (!kwargs.isEmpty() || starKwargs != null) {
                    throw error(peek(), "positional argument after keyword argument");
                }
                args.add(parseExpression(true));
            }
        }
        expectOp(")");
        return new CallArgs(args, kwargs, starArgs, starKwargs);
    }

    private Expr parseCall(Expr callee) {
        Token t = peek();
        CallArgs a = parseCallArgs();
        return new Call(pos(t), callee, a.args(), a.kwargs(), a.starArgs(), a.starKwargs());
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                node = parseFilterCall(node);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Filter parseFilterCall(Expr value) {
        Token t = peek();
        StringBuilder filterName = new StringBuilder(expectName().text());
        while (peek().isOp(".")) {
            next();
            filterName.append('.').append(expectName().text());
        }
        if (!Filters.NAMES.contains(filterName.toString())) throw error(t, "no filter named '" + filterName + "'");
        if (peek().isOp("(")) {
            CallArgs a = parseCallArgs();
            if (a.starArgs() != null || a.starKwargs() != null) throw error(t, "*args and **kwargs are not supported in filters");
            return new Filter(pos(t), value, filterName.toString(), a.args(), a.kwargs());
        }
        return new Filter(pos(t), value, filterName.toString(), List.of(), List.of());
    }

    private Expr parseTest(Expr value) {
        Token is = next();
        boolean negated = false;
        if (peek().isName("not")) {
            next();
            negated = true;
        }
        Token t = peek();
        StringBuilder testName = new StringBuilder(expectName().text());
        while (peek().isOp(".")) {
            next();
            testName.append('.').append(expectName().text());
        }
        if (!Tests.NAMES.contains(testName.toString())) throw error(t, "no test named '" + testName + "'");
        List<Expr> args = List.of();
        List<Keyword> kwargs = List.of();
        Token n = peek();
        if (n.isOp("(")) {
            CallArgs a = parseCallArgs();
            args = a.args();
            kwargs = a.kwargs();
        } else if ((n.type() == Type.NAME || n.type() == Type.STRING || n.type() == Type.INT || n.type() == Type.FLOAT
                || (n.type() == Type.OP && TEST_ARG_START.contains(n.text())))
                && !n.isName("else") && !n.isName("or") && !n.isName("and")) {
            if (n.isName("is")) throw error(n, "you cannot chain multiple tests with 'is'");
            args = List.of(parsePostfix(parsePrimary()));
        }
        Expr test = new Test(pos(t), value, testName.toString(), args, kwargs);
        return negated ? new Unary(pos(is), "not", test) : test;
    }
}

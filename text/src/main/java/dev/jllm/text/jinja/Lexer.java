package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into tokens the way Jinja2's lexer does with {@code trim_blocks} and
 * {@code lstrip_blocks} on (as transformers configures it) and {@code -}/{@code +} whitespace control.
 */
final class Lexer {

    enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Type type, String text, Value value, int offset) {
        boolean is(Type t, String s) {
            return type == t && text.equals(s);
        }

        boolean isOp(String s) {
            return type == Type.OP && text.equals(s);
        }

        boolean isName(String s) {
            return type == Type.NAME && text.equals(s);
        }
    }

    private static final String[] OPERATORS = {
            "//", "**", "==", "!=", "<=", ">=",
            "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"};
    private static final Pattern RAW_BEGIN = Pattern.compile("\\G\\{%([-+]?)\\s*raw\\s*([-+]?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    private final String src;
    private final String name;
    private final int[] lineStarts;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    /** The previous tag ended with a newline, so text before the next block tag starts a line (lstrip_blocks). */
    private boolean lineStarting = true;
    /** The previous tag ended with {@code -}: strip all whitespace at the start of the next text. */
    private boolean stripNextText;

    Lexer(String src, String name, boolean trimBlocks, boolean lstripBlocks) {
        // Jinja normalizes newlines to \n before lexing (keep_trailing_newline=False drops one final \n).
        String normalized = src.replace("\r\n", "\n").replace('\r', '\n');
        // keep_trailing_newline=False: a single trailing newline of the template is dropped.
        this.src = normalized.endsWith("\n") ? normalized.substring(0, normalized.length() - 1) : normalized;
        this.name = name;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < this.src.length(); i++) if (this.src.charAt(i) == '\n') starts.add(i + 1);
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    Node.Pos position(int offset) {
        int idx = Arrays.binarySearch(lineStarts, offset);
        int line = idx >= 0 ? idx : -idx - 2;
        return new Node.Pos(line + 1, offset - lineStarts[line] + 1);
    }

    private TemplateException error(int offset, String message) {
        Node.Pos p = position(offset);
        return new TemplateException(Kind.TemplateSyntaxError, message, name, p.line(), p.column());
    }

    List<Token> tokenize() {
        int end = src.length();
        while (pos < end) {
            int tag = findTagStart(pos, end);
            if (tag < 0) {
                emitText(pos, end, null, (char) 0);
                pos = end;
                break;
            }
            char kind = src.charAt(tag + 1);
            char modifier = tag + 2 < end ? src.charAt(tag + 2) : 0;
            Matcher raw = kind == '%' ? RAW_BEGIN.matcher(src).region(tag, end) : null;
            if (raw != null && raw.lookingAt()) {
                emitText(pos, tag, kind, modifier);
                lexRaw(raw, end);
                continue;
            }
            emitText(pos, tag, kind, modifier);
            int inner = tag + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
            switch (kind) {
                case '#' -> lexComment(tag, inner, end);
                case '{' -> {
                    tokens.add(new Token(Type.VAR_BEGIN, "{{", null, tag));
                    lexTag(inner, end, "}}", Type.VAR_END);
                }
                default -> {
                    tokens.add(new Token(Type.BLOCK_BEGIN, "{%", null, tag));
                    lexTag(inner, end, "%}", Type.BLOCK_END);
                }
            }
        }
        tokens.add(new Token(Type.EOF, "", null, end));
        return tokens;
    }

    private int findTagStart(int from, int end) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= end) return -1;
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i++;
        }
    }

    /** Emits the text in [from, to) after applying the whitespace rules of the tag that follows it. */
    private void emitText(int from, int to, Character nextTagKind, char nextModifier) {
        String data = src.substring(from, to);
        if (stripNextText) {
            data = stripLeadingWhitespace(data);
            stripNextText = false;
        }
        if (nextTagKind != null) {
            if (nextModifier == '-') {
                data = stripTrailingWhitespace(data);
            } else if (nextModifier != '+' && lstripBlocks && (nextTagKind == '%' || nextTagKind == '#')) {
                int lineStart = data.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && onlySpacesAndTabs(data, lineStart)) data = data.substring(0, lineStart);
            }
        }
        if (!data.isEmpty()) tokens.add(new Token(Type.TEXT, data, null, from));
    }

    private static boolean onlySpacesAndTabs(String s, int from) {
        for (int i = from; i < s.length(); i++) if (s.charAt(i) != ' ' && s.charAt(i) != '\t') return false;
        return true;
    }

    static boolean isWhitespace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f
                || c == 0x85;
    }

    private static String stripLeadingWhitespace(String s) {
        int i = 0;
        while (i < s.length() && isWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String stripTrailingWhitespace(String s) {
        int i = s.length();
        while (i > 0 && isWhitespace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    /** After a tag's closing delimiter at {@code after}: apply {@code -} or trim_blocks and move past it. */
    private void finishTag(int after, boolean minus, boolean trimNewline) {
        pos = after;
        if (minus) {
            int i = after;
            while (i < src.length() && isWhitespace(src.charAt(i))) i++;
            lineStarting = i > after && src.charAt(i - 1) == '\n';
            pos = i;
        } else if (trimNewline && after < src.length() && src.charAt(after) == '\n') {
            pos = after + 1;
            lineStarting = true;
        } else {
            lineStarting = false;
        }
    }

    private void lexComment(int tag, int inner, int end) {
        if (inner >= end) {
            // Jinja quirk: a comment opener that ends the template is dropped silently
            pos = end;
            return;
        }
        int close = src.indexOf("#}", inner);
        if (close < 0) throw error(tag, "unclosed comment: expected '#}'");
        boolean minus = close > inner && src.charAt(close - 1) == '-';
        boolean plus = close > inner && src.charAt(close - 1) == '+';
        finishTag(close + 2, minus, trimBlocks && !plus);
    }

    private void lexRaw(Matcher begin, int end) {
        boolean minusAfterBegin = begin.group(2).equals("-");
        int contentStart = begin.end();
        Matcher close = RAW_END.matcher(src).region(contentStart, end);
        if (!close.find()) throw error(begin.start(), "unclosed raw block: expected '{% endraw %}'");
        String content = src.substring(contentStart, close.start());
        if (minusAfterBegin) content = stripLeadingWhitespace(content);
        if (close.group(1).equals("-")) content = stripTrailingWhitespace(content);
        else if (!close.group(1).equals("+") && lstripBlocks) {
            int lineStart = content.lastIndexOf('\n') + 1;
            if (lineStart > 0 && onlySpacesAndTabs(content, lineStart)) content = content.substring(0, lineStart);
        }
        if (!content.isEmpty()) tokens.add(new Token(Type.TEXT, content, null, contentStart));
        finishTag(close.end(), close.group(2).equals("-"), trimBlocks && !close.group(2).equals("+"));
    }

    private void lexTag(int from, int end, String closer, Type endType) {
        int i = from;
        int depth = 0;
        int tagStart = from - 2;
        while (true) {
            while (i < end && isWhitespace(src.charAt(i))) i++;
            if (i >= end) {
                throw error(tagStart, "unexpected end of template: expected '" + closer + "' to close the tag");
            }
            if (depth == 0) {
                boolean minus = src.startsWith("-" + closer, i);
                boolean plus = src.startsWith("+" + closer, i);
                if (minus || plus || src.startsWith(closer, i)) {
                    int after = i + closer.length() + (minus || plus ? 1 : 0);
                    tokens.add(new Token(endType, closer, null, i));
                    finishTag(after, minus, endType == Type.BLOCK_END && trimBlocks && !plus);
                    return;
                }
            }
            char c = src.charAt(i);
            if (Character.isLetter(c) || c == '_') {
                int j = i + 1;
                while (j < end && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                tokens.add(new Token(Type.NAME, src.substring(i, j), null, i));
                i = j;
            } else if (c >= '0' && c <= '9') {
                i = lexNumber(i, end);
            } else if (c == '\'' || c == '"') {
                i = lexString(i, end);
            } else {
                String op = null;
                for (String candidate : OPERATORS) {
                    if (src.startsWith(candidate, i)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) throw error(i, "unexpected character '" + c + "'");
                switch (op) {
                    case "(", "[", "{" -> depth++;
                    case ")", "]", "}" -> {
                        if (depth == 0) throw error(i, "unexpected '" + op + "'");
                        depth--;
                    }
                    default -> { }
                }
                tokens.add(new Token(Type.OP, op, null, i));
                i += op.length();
            }
        }
    }

    private static final Pattern FLOAT = Pattern.compile(
            "\\G(\\d+(?:_\\d+)*\\.\\d+(?:_\\d+)*(?:[eE][+-]?\\d+(?:_\\d+)*)?|\\d+(?:_\\d+)*[eE][+-]?\\d+(?:_\\d+)*)");
    private static final Pattern INTEGER = Pattern.compile("\\G\\d+(?:_\\d+)*");

    private int lexNumber(int i, int end) {
        Matcher f = FLOAT.matcher(src).region(i, end);
        if (f.lookingAt()) {
            String t = f.group().replace("_", "");
            tokens.add(new Token(Type.FLOAT, f.group(), new Value.Float(Double.parseDouble(t)), i));
            return f.end();
        }
        Matcher m = INTEGER.matcher(src).region(i, end);
        m.lookingAt();
        String t = m.group().replace("_", "");
        tokens.add(new Token(Type.INT, m.group(), new Value.Int(new java.math.BigInteger(t)), i));
        return m.end();
    }

    private int lexString(int i, int end) {
        char quote = src.charAt(i);
        int j = i + 1;
        while (j < end && src.charAt(j) != quote) {
            if (src.charAt(j) == '\\') j++;
            j++;
        }
        if (j >= end) throw error(i, "unterminated string literal");
        String body = src.substring(i + 1, j);
        tokens.add(new Token(Type.STRING, src.substring(i, j + 1), new Value.Str(unescape(body, i)), i));
        return j + 1;
    }

    /** Python's {@code unicode_escape} decoding, as Jinja applies it to string literals. */
    private String unescape(String s, int offset) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    String hex = s.substring(i + 1, Math.min(s.length(), i + 1 + digits));
                    if (hex.length() != digits || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                        throw error(offset, "truncated \\" + e + " escape in string literal");
                    }
                    sb.appendCodePoint(Integer.parseInt(hex, 16));
                    i += digits;
                }
                case 'N' -> {
                    int close = s.indexOf('}', i);
                    if (i + 1 >= s.length() || s.charAt(i + 1) != '{' || close < 0) {
                        throw error(offset, "malformed \\N{...} escape in string literal");
                    }
                    try {
                        sb.appendCodePoint(Character.codePointOf(s.substring(i + 2, close)));
                    } catch (IllegalArgumentException ex) {
                        throw error(offset, "unknown Unicode character name in \\N{...}");
                    }
                    i = close;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i;
                        int v = 0;
                        while (j < s.length() && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') v = v * 8 + (s.charAt(j++) - '0');
                        sb.appendCodePoint(v);
                        i = j - 1;
                    } else {
                        sb.append('\\').append(e);
                    }
                }
            }
        }
        return sb.toString();
    }
}

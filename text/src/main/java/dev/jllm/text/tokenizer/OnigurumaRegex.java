package dev.jllm.text.tokenizer;

import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates the Oniguruma regexes of tokenizer.json files (what the Rust library compiles them with) into
 * {@link java.util.regex.Pattern}s that match the same strings. The differences that matter for tokenizers:
 * <ul>
 *   <li>{@code \s} in Oniguruma's Unicode mode is every White_Space character (NBSP, U+2028, ideographic space...),
 *       Java's is ASCII only; likewise {@code \d} (any Nd) and {@code \w} (letters, marks, Nd, Pc).</li>
 *   <li>{@code (?i)} folds case with Unicode rules ("ſ" matches "s"); Java needs the {@code u} flag for that.</li>
 *   <li>{@code \h} is a hex digit in Oniguruma, horizontal space in Java.</li>
 *   <li>{@code .} excludes only {@code \n}; {@code ^}/{@code $} are line anchors (Ruby syntax), so the pattern
 *       compiles with UNIX_LINES and MULTILINE.</li>
 *   <li>Script names: {@code \p{Han}} becomes {@code \p{IsHan}}; {@code \p{^L}} becomes {@code \P{L}}.</li>
 * </ul>
 */
public final class OnigurumaRegex {
    private OnigurumaRegex() {}

    static final String WHITE_SPACE = "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    private static final String WORD = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
    private static final String HEX = "0-9a-fA-F";
    private static final Set<String> CATEGORIES = Set.of("L", "Lu", "Ll", "Lt", "Lm", "Lo", "LC", "M", "Mn", "Mc", "Me",
            "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
            "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn");

    /** Compiles an Oniguruma pattern; a pattern that cannot be translated throws {@link IllegalArgumentException}. */
    public static Pattern compile(String onig) {
        String java = translate(onig);
        try {
            return Pattern.compile(java, Pattern.UNIX_LINES | Pattern.MULTILINE);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex " + quote(onig) + " has no java.util.regex equivalent: " + e.getDescription());
        }
    }

    /** The java.util.regex source for an Oniguruma pattern. */
    public static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() * 2);
        int classDepth = 0;
        int n = p.length();
        for (int i = 0; i < n; i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < n) {
                char e = p.charAt(++i);
                boolean inClass = classDepth > 0;
                switch (e) {
                    case 's' -> out.append(inClass ? WHITE_SPACE : "[" + WHITE_SPACE + "]");
                    case 'S' -> out.append("[^" + WHITE_SPACE + "]");
                    case 'd' -> out.append("\\p{Nd}");
                    case 'D' -> out.append("\\P{Nd}");
                    case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
                    case 'W' -> out.append("[^" + WORD + "]");
                    case 'h' -> out.append(inClass ? HEX : "[" + HEX + "]");
                    case 'H' -> out.append("[^" + HEX + "]");
                    case 'p', 'P' -> {
                        if (i + 1 < n && p.charAt(i + 1) == '{') {
                            int close = p.indexOf('}', i + 2);
                            if (close < 0) throw new IllegalArgumentException("regex " + quote(p) + ": unterminated \\" + e + "{");
                            String name = p.substring(i + 2, close);
                            boolean negate = e == 'P';
                            if (name.startsWith("^")) {
                                negate = !negate;
                                name = name.substring(1);
                            }
                            out.append(negate ? "\\P{" : "\\p{").append(propertyName(name)).append('}');
                            i = close;
                        } else {
                            out.append('\\').append(e);
                        }
                    }
                    default -> out.append('\\').append(e);
                }
                continue;
            }
            if (c == '[') {
                if (classDepth > 0 && p.startsWith("[:", i)) {
                    int close = p.indexOf(":]", i + 2);
                    if (close > 0) {
                        out.append(posixClass(p.substring(i + 2, close), p));
                        i = close + 1;
                        continue;
                    }
                }
                classDepth++;
                out.append(c);
                if (i + 1 < n && p.charAt(i + 1) == '^') {
                    out.append('^');
                    i++;
                }
                // a ']' first in a class is a literal in Oniguruma
                if (i + 1 < n && p.charAt(i + 1) == ']') {
                    out.append("\\]");
                    i++;
                }
                continue;
            }
            if (c == ']' && classDepth > 0) {
                classDepth--;
                out.append(c);
                continue;
            }
            if (c == '(' && classDepth == 0 && p.startsWith("(?", i)) {
                // inline flags: (?i) (?i:...) (?mi-x:...) — Oniguruma's i folds case with Unicode rules
                int j = i + 2;
                while (j < n && (Character.isLetter(p.charAt(j)) || p.charAt(j) == '-')) j++;
                if (j > i + 2 && j < n && (p.charAt(j) == ':' || p.charAt(j) == ')')) {
                    String flags = p.substring(i + 2, j);
                    if (flags.contains("m")) {
                        throw new IllegalArgumentException("regex " + quote(p) + ": Oniguruma's (?m) (dot matches newline) is not supported");
                    }
                    String on = flags.contains("-") ? flags.substring(0, flags.indexOf('-')) : flags;
                    String mapped = on.contains("i") && !on.contains("u") ? flags.replaceFirst("i", "iu") : flags;
                    out.append("(?").append(mapped);
                    i = j - 1;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String propertyName(String name) {
        String bare = name.replace("_", "").replace(" ", "");
        if (CATEGORIES.contains(name)) return name;
        return switch (bare.toLowerCase(java.util.Locale.ROOT)) {
            case "letter" -> "L";
            case "mark" -> "M";
            case "number" -> "N";
            case "punct", "punctuation" -> "P";
            case "symbol" -> "S";
            case "separator" -> "Z";
            case "alpha", "alphabetic" -> "IsAlphabetic";
            case "digit" -> "Nd";
            case "space", "whitespace" -> "IsWhite_Space";
            case "upper", "uppercase" -> "IsUppercase";
            case "lower", "lowercase" -> "IsLowercase";
            case "alnum" -> "IsAlnum";
            default -> "Is" + name;
        };
    }

    private static String posixClass(String name, String pattern) {
        return switch (name) {
            case "alpha" -> "\\p{IsAlphabetic}";
            case "digit" -> "\\p{Nd}";
            case "alnum" -> "\\p{IsAlphabetic}\\p{Nd}";
            case "space" -> WHITE_SPACE;
            case "upper" -> "\\p{IsUppercase}";
            case "lower" -> "\\p{IsLowercase}";
            case "punct" -> "\\p{P}";
            case "xdigit" -> HEX;
            case "cntrl" -> "\\p{Cc}";
            case "word" -> WORD;
            default -> throw new IllegalArgumentException("regex " + quote(pattern) + ": unknown POSIX class [:" + name + ":]");
        };
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}

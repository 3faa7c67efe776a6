package dev.jllm.eval.bleu;

import dev.jllm.core.JllmException;
import dev.jllm.eval.text.PyStrings;

import java.util.regex.Pattern;

/**
 * sacrebleu's tokenizers, by the name sacrebleu gives them on the command line and in the signature.
 * Each returns a string whose whitespace-separated fields are the tokens BLEU counts.
 */
public enum BleuTokenizer {
    /** No tokenization: the line is split on whitespace as it is. */
    NONE("none") {
        @Override
        public String tokenize(String line) {
            return line;
        }
    },
    /** mteval-v13a.pl, WMT's standard: punctuation split off, except periods and commas inside numbers. */
    THIRTEEN_A("13a") {
        @Override
        public String tokenize(String line) {
            line = line.replace("<skipped>", "")
                    .replace("-\n", "")
                    .replace("\n", " ")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">");
            line = " " + line + " ";
            line = ASCII_SYMBOLS.matcher(line).replaceAll(" $1 ");
            line = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(line).replaceAll("$1 $2 ");
            line = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(line).replaceAll(" $1 $2");
            line = DASH_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
            return String.join(" ", PyStrings.split(line));
        }
    },
    /**
     * mteval-v14.pl's international tokenizer: Unicode punctuation is split off unless it sits between digits on
     * the relevant side, and every Unicode symbol becomes its own token.
     */
    INTL("intl") {
        @Override
        public String tokenize(String line) {
            line = PUNCT_AFTER_NON_NUMBER.matcher(line).replaceAll("$1 $2 ");
            line = PUNCT_BEFORE_NON_NUMBER.matcher(line).replaceAll(" $1 $2");
            line = SYMBOL.matcher(line).replaceAll(" $1 ");
            return String.join(" ", PyStrings.split(line));
        }
    },
    /** Every character (code point) is a token; whitespace disappears. */
    CHAR("char") {
        @Override
        public String tokenize(String line) {
            StringBuilder sb = new StringBuilder(line.length() * 2);
            line.codePoints().forEach(cp -> {
                if (!sb.isEmpty()) sb.append(' ');
                sb.appendCodePoint(cp);
            });
            return sb.toString();
        }
    };

    // 13a's character class: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
    private static final Pattern ASCII_SYMBOLS =
            Pattern.compile("([\\x7B-\\x7E\\x5B-\\x60\\x20-\\x26\\x28-\\x2B\\x3A-\\x40\\x2F])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");
    private static final Pattern PUNCT_AFTER_NON_NUMBER = Pattern.compile("(\\P{N})(\\p{P})");
    private static final Pattern PUNCT_BEFORE_NON_NUMBER = Pattern.compile("(\\p{P})(\\P{N})");
    private static final Pattern SYMBOL = Pattern.compile("(\\p{S})");

    private final String signature;

    BleuTokenizer(String signature) {
        this.signature = signature;
    }

    /** The name sacrebleu uses for this tokenizer ({@code --tokenize} value and signature {@code tok:} field). */
    public String signature() {
        return signature;
    }

    public abstract String tokenize(String line);

    public static BleuTokenizer byName(String name) {
        for (BleuTokenizer t : values()) if (t.signature.equals(name)) return t;
        throw new JllmException("unknown BLEU tokenizer '" + name + "' (expected one of none, 13a, intl, char)");
    }
}

package dev.jllm.text.tokenizer;

/** Character classes with the definitions Rust's {@code char} methods use (the reference is written in Rust). */
final class Chars {
    private Chars() {}

    /** Rust's {@code char::is_whitespace}: the Unicode White_Space property. */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Rust's {@code char::is_alphanumeric}: Alphabetic or Numeric (Nd, Nl, No). */
    static boolean isAlphanumeric(int c) {
        if (Character.isAlphabetic(c)) return true;
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Rust's {@code char::is_numeric}. */
    static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** HF's punctuation test: ASCII punctuation or a Unicode P* category. */
    static boolean isPunctuation(int c) {
        if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
        int t = Character.getType(c);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }
}

package dev.jllm.text.tokenizer;

/**
 * GPT-2's reversible byte-to-character map: printable Latin-1 bytes stand for themselves, the other 68 bytes are
 * shifted to U+0100 and up, so every byte sequence becomes a string of visible characters that BPE vocabularies
 * can hold.
 */
public final class ByteLevelAlphabet {
    private ByteLevelAlphabet() {}

    /** The character that stands for each byte. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** The byte each character stands for, or -1; indexed by char up to {@link #CHAR_LIMIT}. */
    static final int CHAR_LIMIT = 0x200;
    private static final short[] CHAR_TO_BYTE = new short[CHAR_LIMIT];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    /** The character that stands for byte b (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte for a byte-level character, or -1 when the character is not part of the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_LIMIT ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps UTF-8 bytes to the byte-level string. */
    static String encode(byte[] bytes, int from, int to) {
        char[] chars = new char[to - from];
        for (int i = from; i < to; i++) chars[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(chars);
    }
}

package dev.jllm.core;

/**
 * An error the user can act on: bad input, a malformed or unsupported file, an invalid option. The message names
 * the file, line or field and what was expected; the CLI prints it without a stack trace.
 */
public class JllmException extends RuntimeException {
    public JllmException(String message) {
        super(message);
    }

    public JllmException(String message, Throwable cause) {
        super(message, cause);
    }
}

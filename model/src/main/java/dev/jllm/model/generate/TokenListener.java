package dev.jllm.model.generate;

/** Streaming callback: called once per generated token, in order, as soon as it is chosen. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param tokenId the new token
     * @return false to stop generating after this token
     */
    boolean onToken(int tokenId);

    TokenListener NONE = id -> true;
}

package dev.jllm.eval.perplexity;

/**
 * The perplexity of one text.
 *
 * @param tokenNll   negative log-likelihood in nats of each predicted token (the ones that count in the mean)
 * @param sumNll     the sum that the perplexity is {@code exp(sumNll / weight)} of
 * @param weight     the divisor of the mean: the number of predicted tokens, except in the sliding-window recipe
 *                   (see {@link Perplexity#slidingWindow})
 */
public record TextPerplexity(int tokens, double[] tokenNll, double sumNll, double weight, double perplexity) {

    public double meanNll() {
        return sumNll / weight;
    }
}

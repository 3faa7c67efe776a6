package dev.jllm.train.optim;

/** Updates parameters in place from their accumulated gradients, at a learning rate the scheduler chooses. */
public sealed interface Optimizer permits AdamW, Sgd {
    /** One update of every parameter with learning rate {@code lr}. */
    void step(double lr);

    /** Updates taken so far. */
    long steps();
}

package dev.jllm.train.lora;

import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;

import java.util.IdentityHashMap;
import java.util.Locale;

/**
 * PEFT's {@code print_trainable_parameters}: trainable and total element counts, adapters included. A 4-bit weight
 * counts its original elements, as PEFT doubles the packed byte count of a {@code Params4bit}.
 */
public record TrainableParameters(long trainable, long all) {
    public static TrainableParameters of(CausalLm model) {
        return of(model, null);
    }

    /** With the config's modules_to_save counted twice in "all", as PEFT's wrapped copies are. */
    public static TrainableParameters of(CausalLm model, LoraConfig config) {
        var seen = new IdentityHashMap<Parameter, Boolean>();
        long trainable = 0, all = 0;
        for (Parameter p : model.parameters()) {
            if (seen.put(p, true) != null) continue;
            all += p.size();
            if (p.trainable()) trainable += p.size();
        }
        for (LinearLayer lin : model.linearsByName().values()) {
            if (lin.lora() == null) continue;
            for (Parameter p : lin.lora().parameters()) {
                if (seen.put(p, true) != null) continue;
                all += p.size();
                if (p.trainable()) trainable += p.size();
            }
        }
        // PEFT keeps the frozen original of each modules_to_save module next to its trainable copy: both count in "all"
        if (config != null) for (Parameter p : LoraAdapters.savedModuleParameters(model, config)) all += p.size();
        return new TrainableParameters(trainable, all);
    }

    /** {@code trainable params: 1,024 || all params: 9,999 || trainable%: 10.2410}, as PEFT prints it. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, all,
                all == 0 ? 0.0 : 100.0 * trainable / all);
    }
}

package dev.jllm.train.optim;

import dev.jllm.train.nn.Parameter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** A parameter with the weight decay it receives. */
public record ParamGroup(Parameter parameter, double weightDecay) {

    /**
     * transformers' {@code Trainer.get_decay_parameter_names}: every parameter decays except those whose lower-cased
     * name looks like a bias or a norm weight (the pattern in the Trainer's {@code forbidden_name_patterns}).
     */
    private static final Pattern NO_DECAY = Pattern.compile("bias|layernorm|rmsnorm|(?:^|\\.)norm(?:$|\\.)|_norm(?:$|\\.)");

    public static boolean decays(String parameterName) {
        return !NO_DECAY.matcher(parameterName.toLowerCase(Locale.ROOT)).find();
    }

    /** Groups trainable parameters: {@code weightDecay} where {@link #decays}, zero elsewhere. */
    public static List<ParamGroup> withDecay(List<Parameter> parameters, double weightDecay) {
        var out = new ArrayList<ParamGroup>();
        for (Parameter p : parameters) {
            if (!p.trainable()) continue;
            out.add(new ParamGroup(p, decays(p.name()) ? weightDecay : 0.0));
        }
        return out;
    }
}

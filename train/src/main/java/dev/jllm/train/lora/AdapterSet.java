package dev.jllm.train.lora;

import dev.jllm.core.JllmException;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Several named LoRA adapters on one model, as PEFT's {@code load_adapter}, {@code set_adapter},
 * {@code disable_adapter} / enable and {@code unload} manage them: one adapter is active at a time; disabling runs
 * the base model alone; unloading removes every adapter and leaves the base unchanged.
 */
public final class AdapterSet {
    private final CausalLm model;
    private final Map<String, Map<String, LinearLayer.Lora>> adapters = new LinkedHashMap<>();
    private final Map<String, LoraConfig> configs = new LinkedHashMap<>();
    private String active;
    private boolean enabled = true;

    public AdapterSet(CausalLm model) {
        this.model = model;
    }

    /** Loads a PEFT adapter folder under {@code name} (validated as {@link LoraAdapters#attach} does); the first one becomes active. */
    public LoraConfig load(String name, Path dir) {
        if (adapters.containsKey(name)) throw new JllmException("an adapter named '" + name + "' is already loaded");
        // an adapter with trained biases writes them into the shared base model, so switching could not undo it
        LoraConfig declared = LoraConfig.read(dir);
        if (!declared.modulesToSave().isEmpty()) {
            throw new JllmException(dir + ": modules_to_save " + declared.modulesToSave() + " replace base-model modules; "
                    + "such adapters cannot be switched (attach or merge it on its own instead)");
        }
        if (declared.bias() != LoraConfig.Bias.NONE) {
            throw new JllmException(dir + ": bias '" + declared.bias().pythonName() + "' adapters change the base model's biases; "
                    + "only bias \"none\" adapters can be switched (attach or merge it on its own instead)");
        }
        detachAll();
        LoraConfig config;
        try {
            config = LoraAdapters.attach(model, dir);
        } finally {
            var layers = new LinkedHashMap<String, LinearLayer.Lora>();
            for (var e : model.linearsByName().entrySet()) if (e.getValue().lora() != null) layers.put(e.getKey(), e.getValue().lora());
            detachAll();
            if (!layers.isEmpty()) adapters.put(name, layers);
            reattach();
        }
        configs.put(name, config);
        if (active == null) setActive(name);
        return config;
    }

    /** Makes {@code name} the adapter the model runs with. */
    public void setActive(String name) {
        if (!adapters.containsKey(name)) throw new JllmException("no adapter named '" + name + "' (loaded: " + adapters.keySet() + ")");
        active = name;
        detachAll();
        reattach();
    }

    /** Runs the base model alone until {@link #enable}. */
    public void disable() {
        enabled = false;
        detachAll();
    }

    public void enable() {
        enabled = true;
        reattach();
    }

    /** Removes every adapter; the model is the base model again. */
    public void unload() {
        detachAll();
        adapters.clear();
        configs.clear();
        active = null;
    }

    public Set<String> names() {
        return adapters.keySet();
    }

    public String active() {
        return active;
    }

    public LoraConfig config(String name) {
        return configs.get(name);
    }

    private void detachAll() {
        for (LinearLayer lin : model.linearsByName().values()) lin.detach();
    }

    private void reattach() {
        if (!enabled || active == null) return;
        for (var e : adapters.get(active).entrySet()) model.linearsByName().get(e.getKey()).attach(e.getValue());
    }
}

package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;
import dev.jllm.text.chat.ChatTemplate;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.Trainer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.data.Batch;
import dev.jllm.train.data.Collator;
import dev.jllm.train.data.Example;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.lora.TrainableParameters;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.quant.BitsAndBytesConfig;
import dev.jllm.train.quant.QuantizedModels;
import dev.jllm.train.sft.Packing;
import dev.jllm.train.sft.SftDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code jllm finetune}: LoRA / QLoRA supervised finetuning with the names of PEFT's {@code LoraConfig},
 * transformers' {@code BitsAndBytesConfig} and {@code TrainingArguments}, and TRL {@code SFTTrainer}'s data handling.
 */
@Command(name = "finetune",
        description = {"Finetune a LoRA adapter (optionally on a 4-bit NF4/FP4 base: QLoRA) on a JSON Lines / JSON dataset of "
                + "text, prompt/completion, conversational (messages, formatted by the model's chat template) or pre-tokenized "
                + "rows, with TRL SFTTrainer semantics (EOS appended to text, loss on the completion only, or on assistant turns "
                + "with --assistant-only-loss), and save the adapter in PEFT's format in --output-dir.",
                "Options are named after their Python fields (LoraConfig, BitsAndBytesConfig, TrainingArguments, SFTConfig) in "
                        + "kebab-case; --config takes the same names in snake_case, and the command line overrides it."})
public final class FinetuneCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** --config keys this command reads itself; every other key is a TrainingArguments field. */
    private static final Set<String> OWN_KEYS = Set.of("r", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora",
            "bias", "layers_to_transform", "layers_pattern", "modules_to_save", "use_dora", "init_adapter", "init_lora_weights", "load_in_4bit", "load_in_8bit", "llm_int8_threshold", "llm_int8_skip_modules", "bnb_4bit_quant_type", "bnb_4bit_compute_dtype",
            "bnb_4bit_use_double_quant", "max_length", "dataset_text_field", "prompt_field", "completion_field",
            "completion_only_loss", "assistant_only_loss", "eval_split", "log_file", "packing", "packing_strategy");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model folder, full precision or bitsandbytes 4-bit (*-bnb-4bit).")
    Path model;
    @Option(names = "--dataset", required = true, description = "Rows as JSON Lines (.jsonl) or a JSON array (.json).")
    Path dataset;
    @Option(names = "--config", description = "JSON file of snake_case fields (LoRA, bitsandbytes, SFT and TrainingArguments names).")
    Path config;
    @Option(names = "--output-dir", description = "Where the adapter (and checkpoint-N folders) go.")
    String outputDir;

    @Option(names = "--lora-r", description = "LoRA rank r (PEFT default 8).")
    Integer loraR;
    @Option(names = "--lora-alpha", description = "LoRA alpha; scaling alpha/r, or alpha/sqrt(r) with --use-rslora (PEFT default 8).")
    Double loraAlpha;
    @Option(names = "--lora-dropout", description = "Dropout on the adapter input while training (PEFT default 0).")
    Double loraDropout;
    @Option(names = "--target-modules", split = ",", description = "Module-name suffixes (q_proj,v_proj), one regular expression "
            + "matched against full module names, or all-linear (default q_proj,v_proj as PEFT chooses for Llama).")
    List<String> targetModules;
    @Option(names = "--use-rslora", negatable = true, description = "rsLoRA scaling alpha/sqrt(r).")
    Boolean useRslora;
    @Option(names = "--use-dora", negatable = true, description = "DoRA (weight-decomposed LoRA): a trainable magnitude per output row, "
            + "initialized to the row norms of W + scaling·B·A, rescales the adapted weight; the norm is recomputed each pass without gradient, as PEFT does.")
    Boolean useDora;
    @Option(names = "--layers-to-transform", split = ",", description = "Only these layer indices (0,1,...) get adapters; "
            + "the index is the number after layers_pattern (default: the last '<name>.<number>.' in the module name, as PEFT matches it).")
    List<Integer> layersToTransform;
    @Option(names = "--layers-pattern", split = ",", description = "Name of the layer list whose index --layers-to-transform picks (e.g. layers).")
    List<String> layersPattern;
    @Option(names = "--bias", description = "Biases that train with the adapter and are saved in it: none, all (every bias) or lora_only (those of adapted layers); default none.")
    String bias;
    @Option(names = "--modules-to-save", split = ",", description = "Modules that train fully and are saved in the adapter (e.g. lm_head), "
            + "matched by name suffix as PEFT does; not with tied embeddings.")
    List<String> modulesToSave;
    @Option(names = "--init-lora-weights", description = "New adapter initialization: true (A kaiming-uniform, B zero), gaussian (A ~ N(0, 1/r²), B zero) or false (both random).")
    String initLoraWeights;
    @Option(names = "--init-adapter", description = "Continue training this PEFT adapter folder instead of a new one.")
    Path initAdapter;

    @Option(names = "--load-in-4bit", negatable = true, description = "Quantize the linear layers to 4 bits at load (QLoRA).")
    Boolean loadIn4bit;
    @Option(names = "--load-in-8bit", negatable = true, description = "Quantize the linear layers to int8 at load (LLM.int8: row-wise absmax "
            + "int8 weights; the input's outlier columns computed in floating point, see --llm-int8-threshold); the base is frozen.")
    Boolean loadIn8bit;
    @Option(names = "--llm-int8-threshold", description = "LLM.int8 outlier threshold: input columns holding a value with |x| >= it are "
            + "multiplied in floating point instead of int8; 0 turns the decomposition off (default 6.0).")
    Double llmInt8Threshold;
    @Option(names = "--llm-int8-skip-modules", split = ",", description = "Linear modules kept in full precision when quantizing (4 or 8 bits), "
            + "matched by name suffix; must include lm_head (default lm_head).")
    List<String> skipModules;
    @Option(names = "--bnb-4bit-quant-type", description = "nf4 or fp4 (default nf4 here; transformers' default is fp4).")
    String quantType;
    @Option(names = "--bnb-4bit-compute-dtype", description = "float32, bfloat16 or float16 (default float32).")
    String computeDtype;
    @Option(names = "--bnb-4bit-use-double-quant", negatable = true, description = "Quantize the block absmax values again (8-bit, blocks of 256).")
    Boolean doubleQuant;

    @Option(names = "--max-length", description = "SFTConfig max_length: rows are cut to this many tokens (default 1024).")
    Integer maxLength;
    @Option(names = "--dataset-text-field", description = "Field of text rows (default text).")
    String textField;
    @Option(names = "--prompt-field", description = "Field of the prompt in prompt/completion rows (default prompt).")
    String promptField;
    @Option(names = "--completion-field", description = "Field of the completion (default completion).")
    String completionField;
    @Option(names = "--completion-only-loss", negatable = true, description = "Loss on the completion only (default true).")
    Boolean completionOnlyLoss;
    @Option(names = "--assistant-only-loss", negatable = true, description = "SFTConfig assistant_only_loss: on 'messages' rows, loss only on "
            + "the assistant tokens the chat template marks with {% generation %} (default false: every token).")
    Boolean assistantOnlyLoss;
    @Option(names = "--packing", negatable = true, description = "SFTConfig packing: combine rows into rows of --max-length tokens (default false).")
    Boolean packing;
    @Option(names = "--packing-strategy", description = "SFTConfig packing_strategy: bfd (best-fit decreasing; sequences kept whole, cut to "
            + "--max-length, trained padding-free: each attends only to itself, positions restart at 0), bfd_split (bfd, with long rows "
            + "split instead of cut) or wrapped (concatenate and cut into blocks, across row boundaries); default bfd.")
    String packingStrategy;
    @Option(names = "--eval-split", description = "Fraction of rows (the last ones) held out; their mean loss is printed as eval_loss (default 0).")
    Double evalSplit;

    @Option(names = "--learning-rate", description = "Peak learning rate (default 2e-4, the QLoRA value).")
    Double learningRate;
    @Option(names = "--weight-decay", description = "Decoupled weight decay (default 0).")
    Double weightDecay;
    @Option(names = "--num-train-epochs", description = "Epochs when --max-steps is not set (default 3).")
    Double numTrainEpochs;
    @Option(names = "--max-steps", description = "Optimizer steps; overrides --num-train-epochs when > 0.")
    Integer maxSteps;
    @Option(names = "--per-device-train-batch-size", description = "Rows per micro-batch (default 8).")
    Integer batchSize;
    @Option(names = "--gradient-accumulation-steps", description = "Micro-batches per optimizer step (default 1).")
    Integer accumulation;
    @Option(names = "--warmup-steps", description = "Linear warmup steps (default 0).")
    Integer warmupSteps;
    @Option(names = "--warmup-ratio", description = "Warmup as a fraction of all steps, when --warmup-steps is 0.")
    Double warmupRatio;
    @Option(names = "--lr-scheduler-type", description = "linear, cosine, constant, ... (default linear).")
    String scheduler;
    @Option(names = "--max-grad-norm", description = "Gradient clipping norm; 0 disables (default 1.0).")
    Double maxGradNorm;
    @Option(names = "--seed", description = "Seed for shuffling and adapter initialization (default 42).")
    Long seed;
    @Option(names = "--logging-steps", description = "Log every N steps (default 500).")
    Double loggingSteps;
    @Option(names = "--save-steps", description = "Save checkpoint-N every N steps; 0 only at the end (default 500).")
    Double saveSteps;
    @Option(names = "--optim", description = "adamw_torch, paged_adamw_32bit (the same update with both moments in memory-mapped, unlinked files the OS can page out), adamw_8bit (bitsandbytes block-wise 8-bit state), "
            + "paged_adamw_8bit (adamw_8bit with its state in memory-mapped files on the CPU, which the OS can page out) or sgd.")
    String optim;
    @Option(names = "--gradient-checkpointing", negatable = true, description = "Recompute activations in backward (on by default for 4-bit models, as prepare_model_for_kbit_training does).")
    Boolean gradientCheckpointing;
    @Option(names = "--bf16", negatable = true, description = TrainingOptions.BF16_HELP)
    Boolean bf16;
    @Option(names = "--fp16", negatable = true, description = TrainingOptions.FP16_HELP)
    Boolean fp16;
    @Option(names = "--shuffle", negatable = true, description = "Shuffle rows each epoch (default); --no-shuffle keeps file order.")
    Boolean shuffle;
    @Option(names = "--group-by-length", negatable = true, description = "Batch rows of similar length together (transformers' LengthGroupedSampler).")
    Boolean groupByLength;
    @Option(names = "--log-file", description = "One JSON line per logging step.")
    Path logFile;
    @Option(names = "--resume-from-checkpoint", description = "Continue an interrupted run from its checkpoint-N folder (same dataset "
            + "and options), or 'true' for the newest complete checkpoint-N in --output-dir: adapter weights, optimizer state, "
            + "step and data position are restored exactly.")
    String resumeFromCheckpoint;

    @Override
    public Integer call() throws Exception {
        ObjectNode file = config == null ? JSON.createObjectNode() : readConfig(config);
        ObjectNode own = JSON.createObjectNode();
        ObjectNode trainingFields = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = file.fields(); it.hasNext(); ) {
            var e = it.next();
            (OWN_KEYS.contains(e.getKey()) ? own : trainingFields).set(e.getKey(), e.getValue());
        }

        PrintWriter out = spec.commandLine().getOut();
        boolean want4bit = pick(loadIn4bit, own, "load_in_4bit", false);
        boolean want8bit = pick(loadIn8bit, own, "load_in_8bit", false);
        if (want4bit && want8bit) throw new JllmException("load_in_4bit and load_in_8bit exclude each other; choose one");
        List<String> skip = skipModules != null ? skipModules : own.has("llm_int8_skip_modules") ? stringList(own, "llm_int8_skip_modules") : null;
        boolean thresholdGiven = llmInt8Threshold != null || own.has("llm_int8_threshold");
        BitsAndBytesConfig requested = null;
        if (want8bit) {
            requested = BitsAndBytesConfig.int8(pick(llmInt8Threshold, own, "llm_int8_threshold", BitsAndBytesConfig.DEFAULT_INT8_THRESHOLD), skip);
        } else if (want4bit) {
            requested = new BitsAndBytesConfig(QuantType.parse(pick(quantType, own, "bnb_4bit_quant_type", "nf4")),
                    ComputeDtype.parse(pick(computeDtype, own, "bnb_4bit_compute_dtype", "float32")),
                    pick(doubleQuant, own, "bnb_4bit_use_double_quant", false), skip);
        }
        // a full-precision model is quantized tensor by tensor while it loads, never held dense as a whole
        QuantizedModels.Loaded loaded = QuantizedModels.load(model, requested);
        CausalLm lm = loaded.model();
        BitsAndBytesConfig bnb = loaded.quantization();
        if (thresholdGiven && !want8bit && (bnb == null || !bnb.loadIn8bit())) throw new JllmException("llm_int8_threshold applies to load_in_8bit; add --load-in-8bit");
        if (loaded.quantizedAtLoad() > 0 && bnb.loadIn8bit()) {
            out.printf(Locale.ROOT, "quantized %d linear layers to %s%n", loaded.quantizedAtLoad(), bnb.describe());
        } else if (loaded.quantizedAtLoad() > 0) {
            out.printf(Locale.ROOT, "quantized %d linear layers to %s%s (compute dtype %s)%n", loaded.quantizedAtLoad(), bnb.quantType().bnbName(),
                    bnb.useDoubleQuant() ? " with double quantization" : "", bnb.computeDtype().pythonName());
        } else if (bnb != null) {
            if ((want8bit && !bnb.loadIn8bit()) || (want4bit && bnb.loadIn8bit())) {
                throw new JllmException(model + ": the checkpoint is already quantized to " + bnb.describe() + "; it cannot be loaded in " + (want8bit ? "8" : "4") + " bits");
            }
            if (bnb.loadIn8bit() && thresholdGiven) {
                // the threshold is a runtime setting of Linear8bitLt, not part of the stored weights: transformers lets the caller's config choose it
                bnb = BitsAndBytesConfig.int8(pick(llmInt8Threshold, own, "llm_int8_threshold", BitsAndBytesConfig.DEFAULT_INT8_THRESHOLD), bnb.skipModules());
                QuantizedModels.setInt8Threshold(lm, bnb.llmInt8Threshold());
            }
            out.printf(Locale.ROOT, "loaded a bitsandbytes %s checkpoint%n", bnb.describe());
        }
        if (bnb != null) QuantizedModels.prepareForKbitTraining(lm);

        ObjectNode o = trainingFields.deepCopy();
        if (!o.has("learning_rate")) o.put("learning_rate", 2e-4);
        if (bnb != null && !o.has("gradient_checkpointing")) o.put("gradient_checkpointing", true);
        if (outputDir != null) o.put("output_dir", outputDir);
        if (learningRate != null) o.put("learning_rate", learningRate);
        if (weightDecay != null) o.put("weight_decay", weightDecay);
        if (numTrainEpochs != null) o.put("num_train_epochs", numTrainEpochs);
        if (maxSteps != null) o.put("max_steps", maxSteps);
        if (batchSize != null) o.put("per_device_train_batch_size", batchSize);
        if (accumulation != null) o.put("gradient_accumulation_steps", accumulation);
        if (warmupSteps != null) o.put("warmup_steps", warmupSteps);
        if (warmupRatio != null) o.put("warmup_ratio", warmupRatio);
        if (scheduler != null) o.put("lr_scheduler_type", scheduler);
        if (maxGradNorm != null) o.put("max_grad_norm", maxGradNorm);
        if (seed != null) o.put("seed", seed);
        if (loggingSteps != null) o.put("logging_steps", loggingSteps);
        if (saveSteps != null) o.put("save_steps", saveSteps);
        if (optim != null) o.put("optim", optim);
        if (gradientCheckpointing != null) o.put("gradient_checkpointing", gradientCheckpointing);
        if (shuffle != null) o.put("shuffle", shuffle);
        if (groupByLength != null) o.put("group_by_length", groupByLength);
        if (bf16 != null) o.put("bf16", bf16);
        if (fp16 != null) o.put("fp16", fp16);
        if (resumeFromCheckpoint != null) o.put("resume_from_checkpoint", resumeFromCheckpoint);
        if (!o.has("output_dir")) throw new JllmException("--output-dir is required (or output_dir in --config)");
        TrainingArguments args = TrainingArguments.defaults(o.path("output_dir").asText()).with(config != null ? config + " and the command line" : "command line", o);

        LoraConfig lora;
        double dropout = pick(loraDropout, own, "lora_dropout", 0.0);
        Path init = initAdapter != null ? initAdapter : own.has("init_adapter") ? Path.of(own.path("init_adapter").asText()) : null;
        if (init != null) {
            if (loraDropout != null || own.has("lora_dropout")) throw new JllmException("--init-adapter takes lora_dropout from its adapter_config.json; do not give --lora-dropout too");
            if (layersToTransform != null || layersPattern != null || bias != null || modulesToSave != null || useDora != null
                    || own.has("layers_to_transform") || own.has("layers_pattern") || own.has("bias") || own.has("modules_to_save") || own.has("use_dora")) {
                throw new JllmException("--init-adapter takes layers_to_transform, layers_pattern, bias, modules_to_save and use_dora from its adapter_config.json; do not give them too");
            }
            lora = LoraAdapters.attach(lm, init);
            out.println("continuing adapter " + init + " (r=" + lora.r() + ", alpha=" + lora.loraAlpha() + ")");
        } else {
            int r = loraR != null ? loraR : own.has("r") ? own.path("r").asInt() : own.path("lora_r").asInt(8);
            lora = newLoraConfig(lm, r, pick(loraAlpha, own, "lora_alpha", 8.0), pick(useRslora, own, "use_rslora", false), targets(own), dropout,
                    layersToTransform != null ? layersToTransform : intList(own, "layers_to_transform"),
                    layersPattern != null ? layersPattern : stringList(own, "layers_pattern"),
                    LoraConfig.Bias.parse(pick(bias, own, "bias", "none")),
                    modulesToSave != null ? modulesToSave : stringList(own, "modules_to_save")).withUseDora(pick(useDora, own, "use_dora", false));
            JsonNode initNode = own.get("init_lora_weights");
            String initName = initLoraWeights != null ? initLoraWeights : initNode == null || initNode.isNull() ? "true" : initNode.asText();
            LoraAdapters.attachNew(lm, lora, args.seed(), LoraAdapters.InitLoraWeights.parse(initName));
        }
        out.println(TrainableParameters.of(lm, lora));

        Function<String, int[]> encoder = null;
        int padId = 0, eosId = -1;
        if (Files.isRegularFile(model.resolve("tokenizer.json")) || Files.isRegularFile(model.resolve("tokenizer.model"))) {
            Tokenizer tokenizer = Tokenizer.load(model);
            encoder = text -> tokenizer.encode(text, true);
            eosId = tokenizer.eosTokenId().orElse(-1);
            padId = tokenizer.padTokenId().orElse(Math.max(eosId, 0));
        }
        var fields = new SftDataset.Fields(pick(textField, own, "dataset_text_field", "text"), pick(promptField, own, "prompt_field", "prompt"),
                pick(completionField, own, "completion_field", "completion"), pick(completionOnlyLoss, own, "completion_only_loss", true),
                pick(assistantOnlyLoss, own, "assistant_only_loss", false));
        boolean pack = pick(packing, own, "packing", false);
        String strategyName = pick(packingStrategy, own, "packing_strategy", null);
        if (strategyName != null && !pack) throw new JllmException("packing_strategy applies to packing; add --packing");
        Packing.Strategy strategy = pack ? Packing.Strategy.parse(strategyName == null ? "bfd" : strategyName) : null;
        int maxLen = pick(maxLength, own, "max_length", 1024);
        SftDataset data = SftDataset.load(dataset, fields, encoder, () -> ChatTemplate.loadWithTokenizer(model), eosId, lm.config().vocabSize(),
                maxLen, pick(evalSplit, own, "eval_split", 0.0), strategy);
        if (strategy != null) {
            out.printf(Locale.ROOT, "dataset: packed (%s) into %d training rows and %d held out of at most %d tokens, %d cut to max_length%n",
                    strategy.pythonName(), data.train().size(), data.eval().size(), maxLen, data.truncated());
        } else {
            out.printf(Locale.ROOT, "dataset: %d training rows, %d held out, %d cut to max_length%n", data.train().size(), data.eval().size(), data.truncated());
        }

        LoraConfig adapter = lora;
        String baseName = model.toAbsolutePath().normalize().getFileName().toString();
        Path log = logFile != null ? logFile : own.has("log_file") ? Path.of(own.path("log_file").asText()) : null;
        Trainer trainer = new Trainer(lm, args, data.train(), padId, out, log, dir -> LoraAdapters.save(lm, adapter, dir, baseName));
        if (data.eval().size() > 0) {
            LoraAdapters.setTraining(lm, false);
            out.printf(Locale.ROOT, "eval_loss before training: %.6f%n", evalLoss(lm, data.eval().examples(), padId, args.perDeviceTrainBatchSize()));
            LoraAdapters.setTraining(lm, true);
        }
        Trainer.TrainOutput result = trainer.train();
        out.printf(Locale.ROOT, "TrainOutput(global_step=%d, training_loss=%.6f, metrics={'train_runtime': %.4f, 'train_loss': %.6f})%n",
                result.globalStep(), result.trainingLoss(), result.trainRuntime(), result.trainingLoss());
        LoraAdapters.setTraining(lm, false);
        if (data.eval().size() > 0) out.printf(Locale.ROOT, "eval_loss after training: %.6f%n", evalLoss(lm, data.eval().examples(), padId, args.perDeviceTrainBatchSize()));
        out.println("saved adapter to " + args.outputDir());
        out.flush();
        return 0;
    }

    /** Token-mean cross-entropy over held-out rows, the way Trainer.evaluate reports eval_loss for causal LMs. */
    static double evalLoss(CausalLm lm, List<Example> rows, int padId, int batchSize) {
        Collator collator = new Collator(padId);
        double sum = 0;
        long tokens = 0;
        for (int i = 0; i < rows.size(); i += batchSize) {
            Batch b = collator.collate(rows.subList(i, Math.min(rows.size(), i + batchSize)));
            CausalLm.Result r = lm.loss(b, 1.0);
            sum += r.lossSum();
            tokens += r.tokens();
        }
        return tokens == 0 ? Double.NaN : sum / tokens;
    }

    private List<String> targets(ObjectNode own) {
        if (targetModules != null) return targetModules;
        JsonNode t = own.get("target_modules");
        return t == null || t.isNull() ? List.of("q_proj", "v_proj") : stringList(own, "target_modules");
    }

    /** A --config field given as one integer or a list of integers (PEFT accepts both for layers_to_transform). */
    private static List<Integer> intList(ObjectNode own, String key) {
        return list(own, key, JsonNode::isInt, JsonNode::asInt, "an integer", "integers");
    }

    /** A --config field given as one string or a list of strings. */
    private static List<String> stringList(ObjectNode own, String key) {
        return list(own, key, JsonNode::isTextual, JsonNode::asText, "a string", "strings");
    }

    private static <T> List<T> list(ObjectNode own, String key, java.util.function.Predicate<JsonNode> isKind,
                                    java.util.function.Function<JsonNode, T> value, String one, String many) {
        JsonNode v = own.get(key);
        if (v == null || v.isNull()) return List.of();
        if (isKind.test(v)) return List.of(value.apply(v));
        if (!v.isArray()) throw new JllmException("--config field '" + key + "' must be " + one + " or a list of " + many + ", got " + v);
        var out = new ArrayList<T>();
        for (JsonNode n : v) {
            if (!isKind.test(n)) throw new JllmException("--config field '" + key + "' must hold " + many + ", got " + n);
            out.add(value.apply(n));
        }
        return out;
    }

    static LoraConfig newLoraConfig(CausalLm lm, int r, double alpha, boolean rslora, List<String> targets, double dropout) {
        return newLoraConfig(lm, r, alpha, rslora, targets, dropout, List.of(), List.of(), LoraConfig.Bias.NONE, List.of());
    }

    /** PEFT's target_modules: a list of suffixes, one string as a full-match regex, or all-linear (every projection). */
    static LoraConfig newLoraConfig(CausalLm lm, int r, double alpha, boolean rslora, List<String> targets, double dropout,
                                    List<Integer> layers, List<String> layersPattern, LoraConfig.Bias bias, List<String> modulesToSave) {
        if (targets.size() == 1 && targets.getFirst().equals("all-linear")) {
            var names = new LinkedHashSet<String>();
            for (String m : lm.linearsByName().keySet()) names.add(m.substring(m.lastIndexOf('.') + 1));
            return new LoraConfig(r, alpha, rslora, List.copyOf(names), null, dropout, layers, layersPattern, bias, modulesToSave);
        }
        if (targets.size() == 1 && targets.getFirst().matches(".*[\\\\.*+?()\\[\\]|^$].*")) {
            return new LoraConfig(r, alpha, rslora, List.of(), targets.getFirst(), dropout, layers, layersPattern, bias, modulesToSave);
        }
        return new LoraConfig(r, alpha, rslora, targets, null, dropout, layers, layersPattern, bias, modulesToSave);
    }

    @SuppressWarnings("unchecked")
    private static <T> T pick(T cli, ObjectNode own, String key, T dflt) {
        if (cli != null) return cli;
        JsonNode v = own.get(key);
        if (v == null || v.isNull()) return dflt;
        Object value;
        if (dflt instanceof Boolean) {
            if (!v.isBoolean()) throw new JllmException("--config field '" + key + "' must be true or false, got " + v);
            value = v.asBoolean();
        } else if (dflt instanceof Integer) {
            if (!v.isIntegralNumber()) throw new JllmException("--config field '" + key + "' must be an integer, got " + v);
            value = v.asInt();
        } else if (dflt instanceof Double) {
            if (!v.isNumber()) throw new JllmException("--config field '" + key + "' must be a number, got " + v);
            value = v.asDouble();
        } else {
            if (!v.isTextual()) throw new JllmException("--config field '" + key + "' must be a string, got " + v);
            value = v.asText();
        }
        return (T) value;
    }

    private static ObjectNode readConfig(Path file) {
        try {
            JsonNode n = JSON.readTree(Files.readString(file));
            if (!(n instanceof ObjectNode obj)) throw new JllmException(file + ": expected a JSON object of snake_case settings");
            return obj;
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the config: " + e.getMessage(), e);
        }
    }
}

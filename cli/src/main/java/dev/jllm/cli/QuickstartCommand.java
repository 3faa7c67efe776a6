package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.Trainer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.lora.TrainableParameters;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.pretrain.ModelShape;
import dev.jllm.train.pretrain.Pretraining;
import dev.jllm.train.quant.BitsAndBytesConfig;
import dev.jllm.train.quant.QuantizedModels;
import dev.jllm.train.sft.SftDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code jllm quickstart}: the whole path of the course's worked example on a corpus shipped with jllm — pretrain a
 * tiny Llama on notes about jllm, quantize it to NF4 with double quantization, finetune a QLoRA adapter on questions
 * and answers about jllm, and compare answers to held-out questions before and after.
 */
@Command(name = "quickstart",
        description = {"Offline tour of jllm in a few minutes: pretrain a tiny Llama from scratch on notes about jllm (shipped "
                + "with jllm), quantize it to NF4 with double quantization, finetune a QLoRA adapter on question/answer pairs "
                + "about jllm, and show the loss tables, the trainable-parameter report and the answers to held-out questions "
                + "before and after finetuning.",
                "Leaves base/ (pretrained model), base-nf4/ (bitsandbytes 4-bit), adapter/ (PEFT adapter) and merged/ "
                        + "(adapter merged into the base, for jllm chat / generate) in --output-dir."})
public final class QuickstartCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCES = "/dev/jllm/cli/quickstart/";
    /** The prompt format of the course's Lamini docs example. */
    static final String PROMPT = "### Question:\n%s\n\n### Answer:";
    static final int HELD_OUT = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--output-dir", defaultValue = "jllm-quickstart", description = "Folder for the models and the adapter.")
    Path outputDir;
    @Option(names = "--pretrain-epochs", defaultValue = "25", description = "Epochs over the notes when pretraining.")
    double pretrainEpochs;
    @Option(names = "--finetune-epochs", defaultValue = "25", description = "Epochs over the question/answer pairs when finetuning.")
    double finetuneEpochs;
    @Option(names = "--seed", defaultValue = "42", description = "Seed for the data split, the initialization and shuffling.")
    long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progress = spec.commandLine().getErr();
        long start = System.nanoTime();
        Files.createDirectories(outputDir);
        Path base = outputDir.resolve("base"), nf4 = outputDir.resolve("base-nf4"), adapterDir = outputDir.resolve("adapter"),
                merged = outputDir.resolve("merged");

        List<String> notes = new ArrayList<>();
        for (String para : resource("docs.txt").split("\\n\\s*\\n")) if (!para.isBlank()) notes.add(para.strip());
        List<String[]> pairs = new ArrayList<>();
        for (String line : resource("qa.jsonl").split("\\n")) {
            if (line.isBlank()) continue;
            JsonNode n = JSON.readTree(line);
            pairs.add(new String[]{n.path("question").asText(), n.path("answer").asText()});
        }
        List<String[]> heldOut = pairs.subList(pairs.size() - HELD_OUT, pairs.size());
        List<String[]> train = pairs.subList(0, pairs.size() - HELD_OUT);

        // the base model reads the notes and the training pairs as plain sentences, as a pretrained model has seen
        // documentation; finetuning then teaches the question/answer format. Held-out facts appear in the notes only.
        List<String> corpus = new ArrayList<>(notes);
        for (String[] p : train) corpus.add(p[0] + " " + p[1]);
        out.println("== 1/4 pretraining a tiny Llama from scratch on " + notes.size() + " paragraphs of notes about jllm and "
                + train.size() + " question/answer sentences");
        var shape = new ModelShape(96, 256, 3, 4, 2, 256, 10000, 1e-5, false, 0.02);
        ObjectNode pa = JSON.createObjectNode();
        pa.put("learning_rate", 3e-3).put("num_train_epochs", pretrainEpochs).put("per_device_train_batch_size", 8)
                .put("warmup_ratio", 0.05).put("lr_scheduler_type", "cosine").put("weight_decay", 0.01).put("seed", seed)
                .put("logging_steps", 0.1).put("save_steps", 0);
        TrainingArguments pretrainArgs = TrainingArguments.defaults(base.toString()).with("quickstart pretraining", pa);
        var options = new Pretraining.Options(corpus, null, 512, null, shape, 64, 0.1);
        Pretraining.Result pre = Pretraining.run(options, pretrainArgs, out, progress, null);
        out.printf(Locale.ROOT, "validation loss %.4f (perplexity %.2f)%n%n", pre.validationLoss(), pre.perplexity());

        out.println("== 2/4 quantizing the linear layers to NF4 with double quantization (bitsandbytes layout)");
        CausalLm full = CausalLm.load(base);
        var bnb = BitsAndBytesConfig.nf4(true);
        int layers = QuantizedModels.quantize(full, bnb);
        QuantizedModels.save(full, bnb, base, nf4);
        out.printf(Locale.ROOT, "%d layers quantized; model.safetensors %,d -> %,d bytes (%s)%n%n", layers,
                Files.size(base.resolve("model.safetensors")), Files.size(nf4.resolve("model.safetensors")), nf4);

        CausalLm model = QuantizedModels.load(nf4).model();
        Tokenizer tokenizer = Tokenizer.load(nf4);
        out.println("== 3/4 answers to held-out questions before finetuning (4-bit base, greedy)");
        List<String> before = answers(model, tokenizer, heldOut);
        for (int i = 0; i < heldOut.size(); i++) out.println("Q: " + heldOut.get(i)[0] + "\nA: " + before.get(i) + "\n");

        out.println("== 4/4 QLoRA finetuning on " + train.size() + " question/answer pairs (" + HELD_OUT + " held out)");
        QuantizedModels.prepareForKbitTraining(model);
        var lora = new LoraConfig(16, 32, false, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), null, 0.05);
        LoraAdapters.attachNew(model, lora, seed);
        out.println(TrainableParameters.of(model));
        Path rows = outputDir.resolve("qa-train.jsonl"), evalRows = outputDir.resolve("qa-heldout.jsonl");
        writePairs(rows, train);
        writePairs(evalRows, heldOut);
        int eos = tokenizer.eosTokenId().orElseThrow(() -> new JllmException(nf4 + ": the tokenizer has no end-of-text token"));
        var fields = new SftDataset.Fields("text", "prompt", "completion", true);
        SftDataset data = SftDataset.load(rows, fields, t -> tokenizer.encode(t, true), eos, model.config().vocabSize(), 256, 0);
        SftDataset heldData = SftDataset.load(evalRows, fields, t -> tokenizer.encode(t, true), eos, model.config().vocabSize(), 256, 0);
        ObjectNode fa = JSON.createObjectNode();
        fa.put("learning_rate", 3e-3).put("num_train_epochs", finetuneEpochs).put("per_device_train_batch_size", 8)
                .put("gradient_accumulation_steps", 1).put("optim", "paged_adamw_32bit").put("warmup_ratio", 0.03)
                .put("lr_scheduler_type", "cosine").put("max_grad_norm", 0.3).put("seed", seed).put("logging_steps", 0.1)
                .put("save_steps", 0).put("gradient_checkpointing", true);
        TrainingArguments ftArgs = TrainingArguments.defaults(adapterDir.toString()).with("quickstart finetuning", fa);
        Trainer trainer = new Trainer(model, ftArgs, data.train(), eos, out, null, dir -> LoraAdapters.save(model, lora, dir, "base-nf4"))
                .withProgressBar(progress);
        LoraAdapters.setTraining(model, false);
        double evalBefore = trainer.evaluate(heldData.train());
        LoraAdapters.setTraining(model, true);
        trainer.train();
        LoraAdapters.setTraining(model, false);
        double evalAfter = trainer.evaluate(heldData.train());
        out.printf(Locale.ROOT, "held-out loss: %.4f before -> %.4f after finetuning%n%n", evalBefore, evalAfter);

        out.println("answers to the held-out questions after finetuning:");
        List<String> after = answers(model, tokenizer, heldOut);
        for (int i = 0; i < heldOut.size(); i++) {
            out.println("Q: " + heldOut.get(i)[0] + "\nbefore: " + before.get(i) + "\nafter:  " + after.get(i) + "\nreference: " + heldOut.get(i)[1] + "\n");
        }

        LoraAdapters.merge(model);
        HfFolderWriter.save(model, base, merged);
        out.printf(Locale.ROOT, "done in %.0f s. Files in %s:%n", (System.nanoTime() - start) / 1e9, outputDir);
        out.println("  base/      the pretrained model (float32)         base-nf4/  the same, 4-bit NF4 (bitsandbytes layout)");
        out.println("  adapter/   the QLoRA adapter (PEFT format)        merged/    adapter merged into the base (float32)");
        out.println("Chat with the finetuned model:  ./jllm chat --model " + merged);
        out.println("Train the adapter further:      ./jllm finetune --model " + nf4 + " --init-adapter " + adapterDir
                + " --dataset YOUR.jsonl --output-dir MORE");
        out.flush();
        return 0;
    }

    private static List<String> answers(CausalLm model, Tokenizer tokenizer, List<String[]> pairs) {
        var out = new ArrayList<String>();
        for (String[] p : pairs) out.add(Pretraining.greedy(model, tokenizer, String.format(Locale.ROOT, PROMPT, p[0]), 32).strip().replace('\n', ' '));
        return out;
    }

    private static void writePairs(Path file, List<String[]> pairs) throws IOException {
        var lines = new ArrayList<String>();
        for (String[] p : pairs) {
            ObjectNode n = JSON.createObjectNode();
            n.put("prompt", String.format(Locale.ROOT, PROMPT, p[0]));
            n.put("completion", " " + p[1]);
            lines.add(JSON.writeValueAsString(n));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = QuickstartCommand.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) throw new JllmException("the jllm jar lacks its quickstart resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

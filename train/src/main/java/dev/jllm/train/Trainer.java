package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.train.data.Batch;
import dev.jllm.train.data.Collator;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.Optimizer;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.optim.Sgd;
import dev.jllm.train.precision.GradScaler;
import dev.jllm.train.precision.Precision;
import dev.jllm.train.schedule.LrSchedule;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A training loop with transformers' Trainer semantics: epochs of (optionally shuffled) micro-batches of
 * {@code per_device_train_batch_size} rows, {@code gradient_accumulation_steps} micro-batches per optimizer step
 * (the last step of an epoch takes what is left), loss normalized by the label count of the whole step, clipping,
 * the scheduled learning rate, logging every {@code logging_steps} and saving every {@code save_steps}.
 *
 * <p>Logged values follow transformers: {@code loss} is the mean of the step losses since the previous log,
 * {@code grad_norm} the last step's norm before clipping, {@code learning_rate} the scheduler's value after its
 * step (the rate the next update will use), {@code epoch} fractional.
 */
public final class Trainer {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code resume_from_checkpoint} value meaning transformers' {@code True}: the newest complete checkpoint. */
    public static final String RESUME_LATEST = "true";
    /**
     * A checkpoint is written under this prefix and renamed to {@code checkpoint-N} only once complete, so a run
     * killed mid-write leaves a folder that no resume or rotation ever mistakes for a checkpoint.
     */
    static final String PARTIAL_PREFIX = "tmp-checkpoint-";
    private static final java.util.regex.Pattern CHECKPOINT = java.util.regex.Pattern.compile("checkpoint-(\\d+)");

    private final CausalLm model;
    private final TrainingArguments args;
    private final Dataset data;
    private final Collator collator;
    private final java.util.function.Consumer<Path> saver;
    private final PrintWriter out;
    private final Path logFile;
    private Dataset evalData;
    private PrintWriter progress;
    private java.util.function.LongSupplier clock = System::nanoTime;

    /** One logging row. */
    public record LogEntry(int step, double loss, double gradNorm, double learningRate, double epoch) {}

    /** One evaluation: the token-mean cross-entropy of the validation rows after {@code step} updates. */
    public record EvalEntry(int step, double loss, double epoch) {
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /**
     * transformers' {@code TrainOutput} and its metrics. {@code totalFlos} is transformers' estimate
     * {@code 6 · (parameters without the input embedding) · input tokens} (padding included, as {@code numel} counts).
     */
    public record TrainOutput(int globalStep, double trainingLoss, double trainRuntime, double trainSamplesPerSecond,
                              double trainStepsPerSecond, long numTokens, double meanTokenAccuracy, List<LogEntry> log,
                              double totalFlos, List<EvalEntry> evals) {
        /** The line transformers prints, {@code TrainOutput(global_step=…, training_loss=…, metrics={…})}. */
        public String describe() {
            return String.format(java.util.Locale.ROOT, "TrainOutput(global_step=%d, training_loss=%.6f, metrics={'train_runtime': %.4f, "
                            + "'train_samples_per_second': %.3f, 'train_steps_per_second': %.3f, 'total_flos': %.1f, 'train_loss': %.6f, "
                            + "'num_tokens': %d, 'mean_token_accuracy': %.6f})",
                    globalStep, trainingLoss, trainRuntime, trainSamplesPerSecond, trainStepsPerSecond, totalFlos, trainingLoss,
                    numTokens, meanTokenAccuracy);
        }
    }

    /**
     * Saves checkpoints and the result as a Hugging Face folder.
     *
     * @param modelSource the folder the model came from (its config and tokenizer files are copied next to saved
     *                    weights), or null
     * @param logFile     one JSON line per logging step, or null
     */
    public Trainer(CausalLm model, TrainingArguments args, Dataset data, int padTokenId, Path modelSource, PrintWriter out, Path logFile) {
        this(model, args, data, padTokenId, out, logFile, dir -> HfFolderWriter.save(model, modelSource, dir));
    }

    /** As above, with {@code saver} writing whatever the run produces (e.g. only a LoRA adapter) into a folder. */
    public Trainer(CausalLm model, TrainingArguments args, Dataset data, int padTokenId, PrintWriter out, Path logFile,
                   java.util.function.Consumer<Path> saver) {
        this.model = model;
        this.args = args;
        this.data = data;
        this.collator = new Collator(padTokenId);
        this.saver = saver;
        this.out = out;
        this.logFile = logFile;
    }

    /** Validation rows, evaluated as {@code eval_strategy} says and reported in the loss table. */
    public Trainer withEvalDataset(Dataset evalData) {
        this.evalData = evalData;
        return this;
    }

    /** Draws the progress bar on {@code err} (null: none). */
    public Trainer withProgressBar(PrintWriter err) {
        this.progress = err;
        return this;
    }

    /** The clock the runtime figures and the progress bar read (tests fix it). */
    Trainer withClock(java.util.function.LongSupplier nanoClock) {
        this.clock = nanoClock;
        return this;
    }

    /**
     * transformers' {@code eval_loss} on {@code rows}: batches of {@code per_device_eval_batch_size} in order, each
     * batch's token-mean cross-entropy counted once per row ({@code loss.repeat(batch_size)}), averaged over the rows.
     * For equally long rows (packed blocks) this is the token-mean loss that perplexity exponentiates.
     */
    public double evaluate(Dataset rows) {
        double weighted = 0;
        int counted = 0;
        var list = rows.examples();
        for (int i = 0; i < list.size(); i += args.perDeviceEvalBatchSize()) {
            var part = list.subList(i, Math.min(list.size(), i + args.perDeviceEvalBatchSize()));
            CausalLm.Result r = model.loss(collator.collate(part), 1.0);
            // a batch without labels has no loss (transformers would record NaN); it does not count
            if (r.tokens() == 0) continue;
            weighted += r.lossSum() / r.tokens() * part.size();
            counted += part.size();
        }
        if (counted == 0) throw new JllmException(rows.source() + ": the validation rows have no label to predict");
        return weighted / counted;
    }

    /** Micro-batches of one epoch, as row indices. */
    List<int[]> microBatches(int epoch) {
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (args.shuffle()) {
            Random r = new Random(args.seed() * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        if (args.groupByLength()) {
            int[] lengths = new int[n];
            for (int i = 0; i < n; i++) lengths[i] = data.examples().get(i).length();
            order = dev.jllm.train.data.LengthGroupedSampler.order(lengths, order,
                    args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps());
        }
        var out = new ArrayList<int[]>();
        for (int i = 0; i < n; i += args.perDeviceTrainBatchSize()) {
            out.add(java.util.Arrays.copyOfRange(order, i, Math.min(n, i + args.perDeviceTrainBatchSize())));
        }
        return out;
    }

    public int stepsPerEpoch() {
        int micro = (data.size() + args.perDeviceTrainBatchSize() - 1) / args.perDeviceTrainBatchSize();
        return Math.max(1, (micro + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps());
    }

    public int totalSteps() {
        return args.maxSteps() > 0 ? args.maxSteps() : (int) Math.ceil(args.numTrainEpochs() * stepsPerEpoch());
    }

    private static int every(double value, int total) {
        return value < 1 ? Math.max(1, (int) Math.ceil(value * total)) : (int) value;
    }

    private Optimizer optimizer() {
        var groups = ParamGroup.withDecay(model.trainableParameters(), args.weightDecay());
        if (groups.isEmpty()) throw new JllmException("the model has no trainable parameter");
        return switch (args.optim()) {
            case "adamw_torch" -> new AdamW(groups, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            // bitsandbytes' paged 32-bit AdamW computes torch's AdamW update; its state lives in pageable memory
            case "paged_adamw_32bit" -> AdamW.paged(groups, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "adamw_8bit" -> dev.jllm.train.optim.AdamW8bit.inMemory(groups, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "paged_adamw_8bit" -> dev.jllm.train.optim.AdamW8bit.paged(groups, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "sgd" -> new Sgd(groups);
            case "adafactor" -> dev.jllm.train.optim.Adafactor.forTrainer(groups);
            default -> throw new JllmException("optim '" + args.optim() + "' is not one of " + TrainingArguments.OPTIMIZERS);
        };
    }

    public TrainOutput train() {
        return run();
    }

    /** transformers' {@code num_parameters(exclude_embeddings=True)}: every parameter but the input embedding. */
    private long nonEmbeddingParameters() {
        long n = 0;
        for (var p : model.parameters()) if (!p.name().equals("model.embed_tokens.weight")) n += p.size();
        return n;
    }

    private TrainOutput run() {
        model.setGradientCheckpointing(args.gradientCheckpointing());
        // a model already set to a 16-bit precision (e.g. a QLoRA base computing in bf16) keeps it unless the arguments ask
        if (args.precision().reduced()) model.setPrecision(args.precision());
        int total = totalSteps();
        int perEpoch = stepsPerEpoch();
        int warmup = LrSchedule.warmupSteps(args.warmupSteps(), args.warmupRatio(), total);
        var schedule = LrSchedule.of(LrSchedule.Type.parse(args.lrSchedulerType()), args.learningRate(), warmup, total);
        Optimizer optimizer = optimizer();
        var engine = new StepEngine(model, optimizer, schedule, args.maxGradNorm(),
                args.precision() == Precision.FP16 ? new GradScaler() : null);
        int logEvery = every(args.loggingSteps(), total);
        int saveEvery = args.saveSteps() == 0 ? 0 : every(args.saveSteps(), total);
        if (!args.evalStrategy().equals("no") && evalData == null) {
            // as transformers refuses it: an evaluation schedule without rows to evaluate is a mistake, not a no-op
            throw new JllmException("eval_strategy '" + args.evalStrategy() + "' needs validation rows (e.g. --validation-split), and none were given");
        }
        boolean evaluating = evalData != null && !args.evalStrategy().equals("no");
        int evalEvery = every(args.effectiveEvalSteps(), total);
        Path outputDir = Path.of(args.outputDir());
        var log = new ArrayList<LogEntry>();
        var evals = new ArrayList<EvalEntry>();
        long start = clock.getAsLong();
        double lossSinceLog = 0, lossTotal = 0;
        int stepsSinceLog = 0, samples = 0;
        long tokens = 0, correct = 0, counted = 0, inputTokens = 0;
        int resumeStep = 0;
        removePartialCheckpoints(outputDir);
        if (args.resumeFromCheckpoint() != null) {
            Path from = args.resumeFromCheckpoint().equals(RESUME_LATEST) ? latestCheckpoint(outputDir)
                    : Path.of(args.resumeFromCheckpoint());
            var state = TrainingCheckpoint.load(from, model.trainableParameters(), optimizer);
            resumeStep = state.globalStep();
            if ((state.scaler() != null) != (engine.scaler() != null)) {
                throw new JllmException(from + ": the checkpoint was written by " + (state.scaler() != null ? "an fp16 run (it holds a loss scaler)" : "a run without fp16")
                        + "; resume it with the same precision option");
            }
            if (engine.scaler() != null) engine.scaler().restore(state.scaler());
            engine.setStep(resumeStep, state.schedulerSteps());
            model.weightsUpdated();
            lossTotal = state.lossTotal();
            samples = state.samples();
            tokens = state.tokens();
            correct = state.correct();
            counted = state.counted();
            lossSinceLog = state.lossSinceLog();
            stepsSinceLog = state.stepsSinceLog();
            inputTokens = state.inputTokens();
            out.printf("Resuming from %s at step %d%n", from, resumeStep);
            // the interrupted run may have logged steps after its last checkpoint; they are logged again below
            if (logFile != null) truncateLog(logFile, resumeStep);
        }
        int samplesBefore = samples;
        int epochs = (total + perEpoch - 1) / perEpoch;
        out.printf("Training %d step(s): %d row(s), %d per micro-batch, %d micro-batch(es) per step, %d epoch(s)%n",
                total, data.size(), args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(), epochs);
        if (model.precision().reduced()) {
            out.printf("Mixed precision %s: 16-bit products and saved activations, float32 master weights%s%n", model.precision().flag(),
                    engine.scaler() != null ? ", dynamic loss scaling from " + (long) engine.scaler().scale() : "");
        }
        if (data.truncated() > 0) out.printf("warning: %d row(s) were truncated to the model's maximum length%n", data.truncated());
        out.println(evaluating ? "Step | Training Loss | Validation Loss" : "Step | Training Loss");
        out.flush();
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, total, epochs, clock);
        if (bar != null) bar.update(resumeStep, (double) resumeStep / perEpoch);
        var logOptions = resumeStep > 0
                ? new java.nio.file.OpenOption[]{java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND}
                : new java.nio.file.OpenOption[0];
        int position = 0;
        String lastLoggedLoss = "No log";
        try (BufferedWriter logWriter = logFile == null ? null : Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, logOptions)) {
            outer:
            for (int epoch = 0; ; epoch++) {
                List<int[]> micro = microBatches(epoch);
                int stepsThisEpoch = (micro.size() + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps();
                for (int s0 = 0, inEpoch = 0; s0 < micro.size(); s0 += args.gradientAccumulationSteps(), inEpoch++) {
                    if (engine.step() >= total) break outer;
                    // Resuming: the data order is a function of (seed, epoch), so skipping the steps already taken
                    // lands on exactly the micro-batches the interrupted run would have used next.
                    if (position++ < resumeStep) continue;
                    var batches = new ArrayList<Batch>();
                    for (int m = s0; m < Math.min(micro.size(), s0 + args.gradientAccumulationSteps()); m++) {
                        var rows = new ArrayList<Example>();
                        for (int i : micro.get(m)) rows.add(data.examples().get(i));
                        samples += rows.size();
                        Batch b = collator.collate(rows);
                        for (int mask : b.attentionMask()) if (mask != 0) tokens++;
                        inputTokens += b.inputIds().length;
                        batches.add(b);
                    }
                    var report = engine.run(batches);
                    if (report.skipped()) {
                        if (bar != null) bar.clear();
                        out.printf(java.util.Locale.ROOT, "step %d: fp16 gradients overflowed; update skipped, loss scale lowered to %s%n",
                                report.step() + 1, engine.scaler().scale());
                    }
                    lossSinceLog += report.loss();
                    lossTotal += report.loss();
                    stepsSinceLog++;
                    correct += report.correct();
                    counted += report.tokens();
                    int step = engine.step();
                    double epochF = epoch + (double) (inEpoch + 1) / stepsThisEpoch;
                    boolean logNow = step % logEvery == 0 || step == total;
                    boolean epochEnd = inEpoch + 1 == stepsThisEpoch;
                    boolean evalNow = evaluating && (args.evalStrategy().equals("steps") ? step % evalEvery == 0 || step == total : epochEnd || step == total);
                    if (bar != null && (logNow || evalNow)) bar.clear();
                    if (logNow) {
                        var entry = new LogEntry(step, lossSinceLog / stepsSinceLog, report.gradNorm(), schedule.lr(engine.schedulerStep()), epochF);
                        log.add(entry);
                        lastLoggedLoss = String.format(java.util.Locale.ROOT, "%.6f", entry.loss());
                        if (logWriter != null) {
                            Map<String, Object> line = new LinkedHashMap<>();
                            line.put("step", entry.step());
                            line.put("loss", entry.loss());
                            line.put("grad_norm", entry.gradNorm());
                            line.put("learning_rate", entry.learningRate());
                            line.put("epoch", entry.epoch());
                            logWriter.write(JSON.writeValueAsString(line));
                            logWriter.newLine();
                            logWriter.flush();
                        }
                        lossSinceLog = 0;
                        stepsSinceLog = 0;
                    }
                    if (evalNow) {
                        var e = new EvalEntry(step, evaluate(evalData), epochF);
                        evals.add(e);
                        // transformers' table shows the latest logged training loss next to each evaluation
                        out.printf(java.util.Locale.ROOT, "%d | %s | %.6f%n", step, lastLoggedLoss, e.loss());
                        if (logWriter != null) {
                            Map<String, Object> line = new LinkedHashMap<>();
                            line.put("step", step);
                            line.put("eval_loss", e.loss());
                            line.put("epoch", epochF);
                            logWriter.write(JSON.writeValueAsString(line));
                            logWriter.newLine();
                            logWriter.flush();
                        }
                    } else if (logNow) {
                        out.printf(java.util.Locale.ROOT, evaluating ? "%d | %s | No log%n" : "%d | %s%n", step, lastLoggedLoss);
                    }
                    out.flush();
                    if (bar != null) bar.update(step, epochF);
                    if (saveEvery > 0 && step % saveEvery == 0 && step < total) {
                        var state = new TrainingCheckpoint.State(step, lossTotal, samples, tokens, correct, counted, lossSinceLog,
                                stepsSinceLog, inputTokens, engine.schedulerStep(), engine.scaler() == null ? null : engine.scaler().snapshot());
                        writeCheckpoint(outputDir, step, dir -> {
                            saver.accept(dir);
                            TrainingCheckpoint.save(dir, model.trainableParameters(), optimizer, state);
                        });
                        if (args.saveTotalLimit() > 0) rotateCheckpoints(outputDir, args.saveTotalLimit());
                    }
                }
            }
        } catch (IOException e) {
            throw new JllmException(logFile + ": cannot write the training log: " + e.getMessage(), e);
        }
        saver.accept(outputDir);
        double runtime = (clock.getAsLong() - start) / 1e9;
        int steps = engine.step();
        int run = steps - resumeStep;
        return new TrainOutput(steps, steps == 0 ? 0 : lossTotal / steps, runtime, (samples - samplesBefore) / runtime, run / runtime, tokens,
                counted == 0 ? 0 : (double) correct / counted, List.copyOf(log),
                6.0 * nonEmbeddingParameters() * inputTokens, List.copyOf(evals));
    }

    /**
     * transformers' {@code _rotate_checkpoints}: keep the {@code limit} newest {@code checkpoint-N} folders (by N),
     * delete the rest.
     */
    static void rotateCheckpoints(Path outputDir, int limit) {
        var found = checkpoints(outputDir);
        try {
            for (int i = 0; i < found.size() - limit; i++) deleteTree(found.get(i).getValue());
        } catch (IOException e) {
            throw new JllmException(outputDir + ": cannot remove old checkpoints: " + e.getMessage(), e);
        }
    }

    /** The {@code checkpoint-N} folders of {@code outputDir}, oldest (smallest N) first; none if it does not exist. */
    private static List<Map.Entry<Integer, Path>> checkpoints(Path outputDir) {
        var found = new ArrayList<Map.Entry<Integer, Path>>();
        if (!Files.isDirectory(outputDir)) return found;
        try (var dirs = Files.list(outputDir)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                var m = CHECKPOINT.matcher(d.getFileName().toString());
                if (Files.isDirectory(d) && m.matches()) found.add(Map.entry(Integer.parseInt(m.group(1)), d));
            }
        } catch (IOException e) {
            throw new JllmException(outputDir + ": cannot list checkpoints: " + e.getMessage(), e);
        }
        found.sort(Map.Entry.comparingByKey());
        return found;
    }

    /**
     * transformers' {@code get_last_checkpoint}: the {@code checkpoint-N} folder with the largest N. Folders are only
     * ever renamed into that name once complete, so the newest one is whole even if the run was killed.
     */
    static Path latestCheckpoint(Path outputDir) {
        var found = checkpoints(outputDir);
        if (found.isEmpty()) {
            throw new JllmException(outputDir + ": resume_from_checkpoint is true but the output directory holds no checkpoint-N folder");
        }
        return found.getLast().getValue();
    }

    /**
     * Writes a checkpoint into {@code tmp-checkpoint-N} and renames it to {@code checkpoint-N} in one atomic step
     * (a rename within one directory), replacing a checkpoint of that step left by an earlier run.
     */
    static void writeCheckpoint(Path outputDir, int step, java.util.function.Consumer<Path> writer) {
        Path partial = outputDir.resolve(PARTIAL_PREFIX + step);
        Path done = outputDir.resolve("checkpoint-" + step);
        try {
            if (Files.exists(partial)) deleteTree(partial);
            Files.createDirectories(partial);
            writer.accept(partial);
            if (Files.exists(done)) deleteTree(done);
            Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(done + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** Folders a killed run left half-written: never a checkpoint, so they go before anything else is written. */
    static void removePartialCheckpoints(Path outputDir) {
        if (!Files.isDirectory(outputDir)) return;
        try (var dirs = Files.list(outputDir)) {
            for (Path d : dirs.toList()) {
                if (Files.isDirectory(d) && d.getFileName().toString().startsWith(PARTIAL_PREFIX)) deleteTree(d);
            }
        } catch (IOException e) {
            throw new JllmException(outputDir + ": cannot remove a half-written checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * Keeps the log lines of steps up to {@code step} (those the checkpoint's state includes), so the resumed run's
     * log reads as one uninterrupted run; a last line cut off by the kill goes too. Rewritten through a temporary file.
     */
    static void truncateLog(Path logFile, int step) {
        if (!Files.isRegularFile(logFile)) return;
        try {
            String text = Files.readString(logFile, StandardCharsets.UTF_8);
            var kept = new StringBuilder();
            int lineNo = 0;
            for (int start = 0, end; (end = text.indexOf('\n', start)) >= 0; start = end + 1) {
                lineNo++;
                String line = text.substring(start, end);
                com.fasterxml.jackson.databind.JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new JllmException(logFile + ":" + lineNo + ": not a JSON line: " + e.getOriginalMessage());
                }
                if (node == null || !node.path("step").canConvertToInt()) {
                    throw new JllmException(logFile + ":" + lineNo + ": not a training log line (no integer 'step')");
                }
                if (node.get("step").asInt() <= step) kept.append(line).append('\n');
            }
            Path tmp = logFile.resolveSibling(logFile.getFileName() + ".tmp");
            Files.writeString(tmp, kept, StandardCharsets.UTF_8);
            Files.move(tmp, logFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(logFile + ": cannot continue the training log: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}

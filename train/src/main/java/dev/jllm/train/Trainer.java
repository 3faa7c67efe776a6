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
import dev.jllm.train.schedule.LrSchedule;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private final CausalLm model;
    private final TrainingArguments args;
    private final Dataset data;
    private final Collator collator;
    private final java.util.function.Consumer<Path> saver;
    private final PrintWriter out;
    private final Path logFile;

    /** One logging row. */
    public record LogEntry(int step, double loss, double gradNorm, double learningRate, double epoch) {}

    /** transformers' {@code TrainOutput} and its metrics. */
    public record TrainOutput(int globalStep, double trainingLoss, double trainRuntime, double trainSamplesPerSecond,
                              double trainStepsPerSecond, long numTokens, double meanTokenAccuracy, List<LogEntry> log) {}

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
        if (args.groupByLength()) order = groupByLength(order, args.perDeviceTrainBatchSize());
        var out = new ArrayList<int[]>();
        for (int i = 0; i < n; i += args.perDeviceTrainBatchSize()) {
            out.add(java.util.Arrays.copyOfRange(order, i, Math.min(n, i + args.perDeviceTrainBatchSize())));
        }
        return out;
    }

    /**
     * transformers' {@code LengthGroupedSampler} over an epoch's order: megabatches of {@code 50 × batch} rows (fewer
     * for small datasets), each sorted longest first, and the longest row of all moved to the very front so an
     * out-of-memory batch shows up at once.
     */
    int[] groupByLength(int[] order, int batch) {
        int n = order.length;
        int mult = Math.min(n / (batch * 4), 50);
        if (mult == 0) mult = 1;
        int mega = mult * batch;
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) boxed[i] = order[i];
        for (int from = 0; from < n; from += mega) {
            // a stable sort keeps the random order among rows of equal length, as Python's sorted does
            java.util.Arrays.sort(boxed, from, Math.min(n, from + mega),
                    java.util.Comparator.comparingInt((Integer i) -> data.examples().get(i).length()).reversed());
        }
        int best = 0;
        for (int from = 0; from < n; from += mega) {
            if (data.examples().get(boxed[from]).length() > data.examples().get(boxed[best]).length()) best = from;
        }
        Integer t = boxed[0];
        boxed[0] = boxed[best];
        boxed[best] = t;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = boxed[i];
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
            // bitsandbytes' paged 32-bit AdamW computes torch's AdamW update; paging only moves its state between
            // GPU and host memory, which has no counterpart here
            case "adamw_torch", "paged_adamw_32bit" -> new AdamW(groups, args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "sgd" -> new Sgd(groups);
            default -> throw new JllmException("optim '" + args.optim() + "' is not one of " + TrainingArguments.OPTIMIZERS);
        };
    }

    public TrainOutput train() {
        var previous = dev.jllm.train.nn.Matmul.precision();
        dev.jllm.train.nn.Matmul.setPrecision(args.precision());
        try {
            return run();
        } finally {
            dev.jllm.train.nn.Matmul.setPrecision(previous);
        }
    }

    private TrainOutput run() {
        model.setGradientCheckpointing(args.gradientCheckpointing());
        int total = totalSteps();
        int perEpoch = stepsPerEpoch();
        int warmup = LrSchedule.warmupSteps(args.warmupSteps(), args.warmupRatio(), total);
        var schedule = LrSchedule.of(LrSchedule.Type.parse(args.lrSchedulerType()), args.learningRate(), warmup, total);
        Optimizer optimizer = optimizer();
        var engine = new StepEngine(model, optimizer, schedule, args.maxGradNorm());
        int logEvery = every(args.loggingSteps(), total);
        int saveEvery = args.saveSteps() == 0 ? 0 : every(args.saveSteps(), total);
        Path outputDir = Path.of(args.outputDir());
        var log = new ArrayList<LogEntry>();
        long start = System.nanoTime();
        double lossSinceLog = 0, lossTotal = 0;
        int stepsSinceLog = 0, samples = 0;
        long tokens = 0, correct = 0, counted = 0;
        int resumeStep = 0;
        if (args.resumeFromCheckpoint() != null) {
            var state = TrainingCheckpoint.load(Path.of(args.resumeFromCheckpoint()), model.trainableParameters(), optimizer);
            resumeStep = state.globalStep();
            engine.setStep(resumeStep);
            lossTotal = state.lossTotal();
            samples = state.samples();
            tokens = state.tokens();
            correct = state.correct();
            counted = state.counted();
            lossSinceLog = state.lossSinceLog();
            stepsSinceLog = state.stepsSinceLog();
            out.printf("Resuming from %s at step %d%n", args.resumeFromCheckpoint(), resumeStep);
        }
        int samplesBefore = samples;
        int epochs = (total + perEpoch - 1) / perEpoch;
        out.printf("Training %d step(s): %d row(s), %d per micro-batch, %d micro-batch(es) per step, %d epoch(s)%n",
                total, data.size(), args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(), epochs);
        if (data.truncated() > 0) out.printf("warning: %d row(s) were truncated to the model's maximum length%n", data.truncated());
        out.println("Step | Training Loss");
        out.flush();
        var logOptions = resumeStep > 0
                ? new java.nio.file.OpenOption[]{java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND}
                : new java.nio.file.OpenOption[0];
        int position = 0;
        try (BufferedWriter logWriter = logFile == null ? null : Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, logOptions)) {
            outer:
            for (int epoch = 0; ; epoch++) {
                List<int[]> micro = microBatches(epoch);
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
                        for (int mask : b.attentionMask()) tokens += mask;
                        batches.add(b);
                    }
                    var report = engine.run(batches);
                    lossSinceLog += report.loss();
                    lossTotal += report.loss();
                    stepsSinceLog++;
                    correct += report.correct();
                    counted += report.tokens();
                    int step = engine.step();
                    double epochF = epoch + (double) (inEpoch + 1) / ((micro.size() + args.gradientAccumulationSteps() - 1) / args.gradientAccumulationSteps());
                    if (step % logEvery == 0 || step == total) {
                        var entry = new LogEntry(step, lossSinceLog / stepsSinceLog, report.gradNorm(), schedule.lr(step), epochF);
                        log.add(entry);
                        out.printf(java.util.Locale.ROOT, "%d | %.6f%n", step, entry.loss());
                        out.flush();
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
                    if (saveEvery > 0 && step % saveEvery == 0 && step < total) {
                        Path dir = outputDir.resolve("checkpoint-" + step);
                        saver.accept(dir);
                        TrainingCheckpoint.save(dir, model.trainableParameters(), optimizer,
                                new TrainingCheckpoint.State(step, lossTotal, samples, tokens, correct, counted, lossSinceLog, stepsSinceLog));
                    }
                }
            }
        } catch (IOException e) {
            throw new JllmException(logFile + ": cannot write the training log: " + e.getMessage(), e);
        }
        saver.accept(outputDir);
        double runtime = (System.nanoTime() - start) / 1e9;
        int steps = engine.step();
        int run = steps - resumeStep;
        return new TrainOutput(steps, steps == 0 ? 0 : lossTotal / steps, runtime, (samples - samplesBefore) / runtime, run / runtime, tokens,
                counted == 0 ? 0 : (double) correct / counted, List.copyOf(log));
    }
}

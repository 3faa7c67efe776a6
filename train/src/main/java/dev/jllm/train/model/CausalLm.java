package dev.jllm.train.model;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.data.Batch;
import dev.jllm.train.loss.CausalLmLoss;
import dev.jllm.train.nn.CastWeight;
import dev.jllm.core.tensor.DType;
import dev.jllm.train.nn.Embedding;
import dev.jllm.train.nn.FrozenEmbedding;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.MatrixProducts;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.nn.RmsNorm;
import dev.jllm.train.nn.Rope;
import dev.jllm.train.precision.Precision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A trainable decoder-only transformer of the Llama family (Llama, Mistral, Qwen2, Qwen3: GQA, optional biases,
 * q/k norms, sliding windows, tied or untied embeddings) with a causal-LM loss head. Parameters carry
 * transformers' names ({@code model.layers.0.self_attn.q_proj.weight}, ...).
 *
 * <p>{@link #forwardBackward} runs one micro-batch: the forward pass keeps each layer's activations (or only its
 * input, with {@link #setGradientCheckpointing}), the loss turns the final hidden states into gradients chunk by
 * chunk, and the backward pass walks the layers in reverse ({@link DecoderLayer} keeps each layer's forward and
 * backward side by side). Gradients accumulate across calls until {@link #zeroGrad}.
 */
public final class CausalLm {
    private final ModelConfig config;
    private final Parameter embed;
    private final Parameter lmHead;
    private final Parameter finalNorm;
    private final List<DecoderLayer> layers;
    private boolean gradientCheckpointing;
    private final List<Parameter> parameters;
    private Precision precision = Precision.FP32;
    /** lm_head's 16-bit copy under a 16-bit precision (the embedding lookup itself stays float32, as autocast leaves it). */
    private CastWeight lmHeadCast;
    /** The embedding and output head when frozen in another representation (16-bit), else null: the float32 values serve. */
    private FrozenEmbedding frozenEmbed;
    private FrozenWeight frozenHead;
    /** The dtype of the hidden states between decoder blocks (the residual stream): F32, or BF16 / F16. */
    private DType hiddenDtype = DType.F32;

    /** Loss of a micro-batch. {@code lossSum/numItemsInBatch} is its share of the step's logged loss. */
    public record Result(double lossSum, int tokens, int correct, double numItemsInBatch) {
        public double loss() {
            return lossSum / numItemsInBatch;
        }
    }

    private CausalLm(ModelConfig config, Map<String, float[]> dense, Map<String, Supplier<float[]>> deferred) {
        this(config, name -> {
            float[] v = dense.get(name);
            if (v != null) return v;
            return deferred.containsKey(name) ? null : missing(name);
        }, deferred);
    }

    private static float[] missing(String name) {
        throw new JllmException("checkpoint has no tensor '" + name + "'");
    }

    private CausalLm(ModelConfig config, java.util.function.Function<String, float[]> weights, Map<String, Supplier<float[]>> deferred) {
        if (config.isMoe()) throw new JllmException(config.source() + ": mixture-of-experts models cannot be trained yet");
        this.config = config;
        var params = new ArrayList<Parameter>();
        int d = config.hiddenSize(), qd = config.queryDim(), kvd = config.kvDim(), ff = config.intermediateSize();
        this.deferred = deferred;
        embed = param(params, weights, "model.embed_tokens.weight", config.vocabSize(), d);
        layers = new ArrayList<>();
        for (int l = 0; l < config.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            Parameter inNorm = param(params, weights, p + "input_layernorm.weight", d);
            LinearLayer q = linear(params, weights, p + "self_attn.q_proj", qd, d, config.qkvBias());
            LinearLayer k = linear(params, weights, p + "self_attn.k_proj", kvd, d, config.qkvBias());
            LinearLayer v = linear(params, weights, p + "self_attn.v_proj", kvd, d, config.qkvBias());
            LinearLayer o = linear(params, weights, p + "self_attn.o_proj", d, qd, config.outputBias());
            Parameter qn = config.qkNorm() ? param(params, weights, p + "self_attn.q_norm.weight", config.headDim()) : null;
            Parameter kn = config.qkNorm() ? param(params, weights, p + "self_attn.k_norm.weight", config.headDim()) : null;
            Parameter postNorm = param(params, weights, p + "post_attention_layernorm.weight", d);
            LinearLayer gate = linear(params, weights, p + "mlp.gate_proj", ff, d, config.mlpBias());
            LinearLayer up = linear(params, weights, p + "mlp.up_proj", ff, d, config.mlpBias());
            LinearLayer down = linear(params, weights, p + "mlp.down_proj", d, ff, config.mlpBias());
            layers.add(new DecoderLayer(l, inNorm, q, k, v, o, qn, kn, postNorm, gate, up, down));
        }
        finalNorm = param(params, weights, "model.norm.weight", d);
        lmHead = config.tieWordEmbeddings() ? embed : param(params, weights, "lm_head.weight", config.vocabSize(), d);
        this.parameters = Collections.unmodifiableList(params);
        // deferred weights are frozen stand-ins for another representation; everything else starts trainable
        for (Parameter parameter : parameters) parameter.setTrainable(parameter.resident());
    }

    private final Map<String, Supplier<float[]>> deferred;

    private Parameter param(List<Parameter> params, java.util.function.Function<String, float[]> weights, String name, int... shape) {
        float[] value = weights.apply(name);
        Parameter p = value != null ? new Parameter(name, shape, value) : Parameter.deferred(name, shape, deferred.get(name));
        params.add(p);
        return p;
    }

    private LinearLayer linear(List<Parameter> params, java.util.function.Function<String, float[]> weights, String name, int out, int in, boolean bias) {
        Parameter w = param(params, weights, name + ".weight", out, in);
        Parameter b = bias ? param(params, weights, name + ".bias", out) : null;
        return new LinearLayer(w, b);
    }

    /**
     * A model from weights already read (every name of {@link #expectedShapes}, row-major float32): for loaders of
     * other storage formats, such as bitsandbytes' 4-bit checkpoints.
     */
    public static CausalLm of(ModelConfig config, Map<String, float[]> weights) {
        return new CausalLm(config, weights, Map.of());
    }

    /**
     * A model whose {@code deferred} weights are not held dense: their parameters start frozen and compute their
     * values only if asked (the caller gives their layers another representation, such as 4-bit).
     */
    public static CausalLm of(ModelConfig config, Map<String, float[]> weights, Map<String, Supplier<float[]>> deferred) {
        return new CausalLm(config, weights, deferred);
    }

    /** Loads a Hugging Face folder ({@code config.json} + safetensors, single or sharded). */
    public static CausalLm load(Path folder) {
        ModelConfig config = ModelConfig.fromJson(folder);
        Map<String, long[]> expected = expectedShapes(config);
        var weights = new LinkedHashMap<String, float[]>();
        try (Checkpoint ckpt = Checkpoint.open(folder)) {
            for (var e : expected.entrySet()) {
                if (!ckpt.has(e.getKey())) {
                    throw new JllmException(folder + ": checkpoint has no tensor '" + e.getKey() + "' that " + config.family().architecture() + " needs");
                }
                SafeTensor t = ckpt.tensor(e.getKey());
                if (!Arrays.equals(t.shape(), e.getValue())) {
                    throw new JllmException(folder + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                            + ", expected " + Arrays.toString(e.getValue()) + " from config.json");
                }
                weights.put(e.getKey(), t.toFloatArray());
            }
        }
        return new CausalLm(config, weights, Map.of());
    }

    /**
     * A freshly initialized model as transformers' {@code _init_weights} does it: linear and embedding weights from
     * N(0, initializerRange²), biases zero, norm weights one.
     */
    public static CausalLm initialize(ModelConfig config, double initializerRange, long seed) {
        Random random = new Random(seed);
        var weights = new LinkedHashMap<String, float[]>();
        for (var e : expectedShapes(config).entrySet()) {
            long n = 1;
            for (long s : e.getValue()) n *= s;
            float[] w = new float[Math.toIntExact(n)];
            String name = e.getKey();
            if (name.endsWith("norm.weight")) Arrays.fill(w, 1f);
            else if (!name.endsWith(".bias")) for (int i = 0; i < w.length; i++) w[i] = (float) (random.nextGaussian() * initializerRange);
            weights.put(name, w);
        }
        return new CausalLm(config, weights, Map.of());
    }

    /** Every tensor name and shape this config's model has, in transformers' naming. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        var m = new LinkedHashMap<String, long[]>();
        long d = c.hiddenSize(), qd = c.queryDim(), kvd = c.kvDim(), ff = c.intermediateSize();
        m.put("model.embed_tokens.weight", new long[]{c.vocabSize(), d});
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[]{d});
            for (String proj : new String[]{"q", "k", "v"}) {
                long out = proj.equals("q") ? qd : kvd;
                m.put(p + "self_attn." + proj + "_proj.weight", new long[]{out, d});
                if (c.qkvBias()) m.put(p + "self_attn." + proj + "_proj.bias", new long[]{out});
            }
            m.put(p + "self_attn.o_proj.weight", new long[]{d, qd});
            if (c.outputBias()) m.put(p + "self_attn.o_proj.bias", new long[]{d});
            if (c.qkNorm()) {
                m.put(p + "self_attn.q_norm.weight", new long[]{c.headDim()});
                m.put(p + "self_attn.k_norm.weight", new long[]{c.headDim()});
            }
            m.put(p + "post_attention_layernorm.weight", new long[]{d});
            m.put(p + "mlp.gate_proj.weight", new long[]{ff, d});
            m.put(p + "mlp.up_proj.weight", new long[]{ff, d});
            m.put(p + "mlp.down_proj.weight", new long[]{d, ff});
            if (c.mlpBias()) {
                m.put(p + "mlp.gate_proj.bias", new long[]{ff});
                m.put(p + "mlp.up_proj.bias", new long[]{ff});
                m.put(p + "mlp.down_proj.bias", new long[]{d});
            }
        }
        m.put("model.norm.weight", new long[]{d});
        if (!c.tieWordEmbeddings()) m.put("lm_head.weight", new long[]{c.vocabSize(), d});
        return m;
    }

    public ModelConfig config() {
        return config;
    }

    /** All parameters in a stable order (embeddings, layers, final norm, lm_head, then any adapters). */
    public List<Parameter> parameters() {
        return parameters;
    }

    public Parameter parameter(String name) {
        for (Parameter p : parameters) if (p.name().equals(name)) return p;
        for (LinearLayer lin : linears()) {
            if (lin.lora() != null) {
                if (lin.lora().a().name().equals(name)) return lin.lora().a();
                if (lin.lora().b().name().equals(name)) return lin.lora().b();
            }
        }
        throw new JllmException("model has no parameter '" + name + "'");
    }

    /** The parameters an optimizer updates: trainable base weights, then adapter matrices. */
    public List<Parameter> trainableParameters() {
        var out = new ArrayList<Parameter>();
        for (Parameter p : parameters) if (p.trainable()) out.add(p);
        for (LinearLayer lin : linears()) {
            if (lin.lora() != null) for (Parameter p : lin.lora().parameters()) if (p.trainable()) out.add(p);
        }
        return out;
    }

    /** Every projection, keyed by its module path ({@code model.layers.0.self_attn.q_proj}). */
    public Map<String, LinearLayer> linearsByName() {
        var m = new LinkedHashMap<String, LinearLayer>();
        for (LinearLayer lin : linears()) {
            String w = lin.weight().name();
            m.put(w.substring(0, w.length() - ".weight".length()), lin);
        }
        return m;
    }

    private List<LinearLayer> linears() {
        var out = new ArrayList<LinearLayer>();
        for (DecoderLayer l : layers) out.addAll(List.of(l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down()));
        return out;
    }

    public void zeroGrad() {
        // 58M gradients at issue 5's model: two cores clear them faster than one
        List<Parameter> params = trainableParameters();
        dev.jllm.core.kernel.Parallel.forChunks(params.size(), 1, (w, p0, p1) -> {
            for (int i = p0; i < p1; i++) params.get(i).zeroGrad();
        });
    }

    /** Loss only, no gradient (evaluation). */
    public Result loss(Batch batch, double numItemsInBatch) {
        return run(batch, numItemsInBatch, 1.0, false);
    }

    /** Loss of one micro-batch, its gradient (of {@code lossSum / numItemsInBatch}) added to the parameters' grads. */
    public Result forwardBackward(Batch batch, double numItemsInBatch) {
        return run(batch, numItemsInBatch, 1.0, true);
    }

    /**
     * As {@link #forwardBackward(Batch, double)}, the gradient being of {@code lossScale · lossSum/numItemsInBatch}
     * (fp16's loss scaling; the returned loss is unscaled).
     */
    public Result forwardBackward(Batch batch, double numItemsInBatch, double lossScale) {
        return run(batch, numItemsInBatch, lossScale, true);
    }

    /** Logits {@code [rows·seqLen, vocab]} of a batch (inference; no gradient). */
    public float[] logits(Batch batch) {
        Forward f = forward(batch, false);
        int n = batch.rows() * batch.seqLen();
        float[] logits = new float[n * config.vocabSize()];
        MatrixProducts head = headProducts();
        if (head != null) {
            // a 16-bit lm_head (autocast's copy, or a head frozen in 16 bits); autocast also rounds what it reads and returns
            precision.round(f.hFinal, n * config.hiddenSize());
            head.forward(logits, f.hFinal, n);
            precision.round(logits, logits.length);
            return logits;
        }
        dev.jllm.core.kernel.Gemm.gemm(false, true, n, config.vocabSize(), config.hiddenSize(), f.hFinal, 0, lmHead.value(), 0, logits, 0, false);
        return logits;
    }

    /**
     * Freezes the embedding and the output head in another representation ({@code head} null keeps an untied head as
     * it is; a tied model takes {@code head} for both and needs it to be the same table): their float32 values are
     * dropped (recomputed only if asked, e.g. by a dense save) and they get no gradient. QLoRA with a 16-bit compute
     * dtype keeps them in 16 bits, as transformers holds them under {@code torch_dtype=bfloat16}.
     */
    public void freezeEmbeddingAndHead(FrozenEmbedding embedding, FrozenWeight head) {
        if (config.tieWordEmbeddings() && head != null && head != embedding) {
            throw new IllegalArgumentException("tied embeddings: the head must be the embedding table itself");
        }
        embed.setTrainable(false);
        embed.defer(embedding::dequantized);
        frozenEmbed = embedding;
        if (config.tieWordEmbeddings()) {
            frozenHead = embedding instanceof FrozenWeight w ? w : null;
            if (frozenHead == null) throw new IllegalArgumentException("tied embeddings: the frozen table must also compute the head's products");
        } else if (head != null) {
            lmHead.setTrainable(false);
            lmHead.defer(head::dequantized);
            frozenHead = head;
        }
        if (frozenHead != null) lmHeadCast = null;   // the frozen 16-bit head serves autocast too
    }

    /**
     * The dtype of the hidden states between decoder blocks, the model's {@code torch_dtype} for them: F32 (the
     * default), or BF16 / F16, in which each block's output (and the embedding output) is rounded to it, as a
     * 16-bit model's residual stream is, and the block inputs gradient checkpointing keeps are stored in 16 bits
     * (half the memory, nothing lost since they hold 16-bit values). Inside a block the engine computes in float32.
     */
    public void setHiddenStateDtype(DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) throw new IllegalArgumentException("hidden states are F32, BF16 or F16, not " + dtype);
        this.hiddenDtype = dtype;
    }

    public DType hiddenStateDtype() {
        return hiddenDtype;
    }

    /**
     * Gradient checkpointing: keep only each layer's input during forward and recompute the layer's activations
     * when backward reaches it, trading one extra forward pass for about (layers − 1)/layers of the activation
     * memory.
     */
    public void setGradientCheckpointing(boolean on) {
        this.gradientCheckpointing = on;
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /**
     * Runs the model as {@code TrainingArguments(bf16=True)} / {@code fp16=True} do (see {@link Precision}): products on
     * 16-bit copies of the weights and 16-bit activations, norms, softmax and the loss in float32, float32 master
     * weights and gradients; the activations kept for backward are stored in 16 bits. FP32 is the default.
     */
    public void setPrecision(Precision precision) {
        this.precision = precision;
        for (LinearLayer lin : linears()) lin.setPrecision(precision);
        lmHeadCast = precision.reduced() && frozenHead == null ? new CastWeight(lmHead, precision) : null;
        if (buffers.stored != null && buffers.stored[0].precision() != precision) buffers.stored = null;
    }

    public Precision precision() {
        return precision;
    }

    /**
     * The optimizer changed the trained weights: their 16-bit copies are rounded again at their next use (once per
     * step, however many micro-batches and recomputes follow). Frozen weights keep theirs.
     */
    public void weightsUpdated() {
        for (LinearLayer lin : linears()) if (lin.weight().trainable()) lin.invalidateCast();
        if (lmHeadCast != null && lmHead.trainable()) lmHeadCast.invalidate();
    }

    /**
     * Bytes held by the activations the last training forward pass kept for backward (every layer's, not counting
     * the embedding output; with gradient checkpointing, the kept layer outputs). Under a 16-bit precision most of
     * them are stored in 16 bits.
     */
    public long savedActivationBytes() {
        Buffers w = buffers;
        long n = 0;
        if (gradientCheckpointing && hiddenDtype != DType.F32) {
            if (w.inputs16 != null) for (short[] o : w.inputs16) if (o != null) n += 2L * o.length;
        } else if (gradientCheckpointing) {
            if (w.outputs != null) for (float[] o : w.outputs) if (o != null) n += 4L * o.length;
        } else if (precision.reduced()) {
            if (w.stored != null) for (SavedActivations s : w.stored) n += s.bytes();
        } else if (w.perLayer != null) {
            for (DecoderLayer.Activations s : w.perLayer) n += SavedActivations.bytes(s);
        }
        return n;
    }

    /** Bytes held by the 16-bit weight copies the products read under a 16-bit precision (autocast's weight cache). */
    public long castWeightBytes() {
        long n = lmHeadCast == null ? 0 : lmHeadCast.bytes();
        for (LinearLayer lin : linears()) n += lin.castBytes();
        return n;
    }

    /** lm_head's products when they do not read its float32 values: frozen in 16 bits, or autocast's 16-bit copy. */
    private MatrixProducts headProducts() {
        return frozenHead != null ? frozenHead : lmHeadCast;
    }

    /**
     * The forward pass's outputs and everything backward needs ({@code layerInputs16}: 16-bit checkpointed block
     * inputs, or null; {@code stored}: autocast's 16-bit per-layer sets, or null).
     */
    private record Forward(DecoderLayer.Context ctx, float[][] layerInputs, short[][] layerInputs16, DecoderLayer.Activations[] saved,
                           SavedActivations[] stored, float[] x, float[] hFinal, float[] rstdFinal) {}

    /**
     * Every buffer a step needs, kept from step to step so that training allocates nothing large per step (a new
     * batch shape reallocates). Without checkpointing each layer keeps its own activations; with it, and for
     * evaluation, one scratch set serves every layer, and only the layer outputs (the next layers' inputs) are kept.
     */
    private static final class Buffers {
        DecoderLayer.Activations[] perLayer;
        /** Under a 16-bit precision, each layer's activations in 16 bits, and the view backward reads them through. */
        SavedActivations[] stored;
        final DecoderLayer.Activations view = new DecoderLayer.Activations();
        final DecoderLayer.Activations scratch = new DecoderLayer.Activations();
        final DecoderLayer.Gradients gradients = new DecoderLayer.Gradients();
        final CausalLmLoss.Buffers loss = new CausalLmLoss.Buffers();
        float[][] outputs;
        /** The checkpointed block inputs in 16 bits (a 16-bit hidden-state dtype). */
        short[][] inputs16;
        float[] embedded, ping, pong, recomputed, hFinal, rstdFinal, dh, dx;
    }

    private final Buffers buffers = new Buffers();

    private Forward forward(Batch batch, boolean keepActivations) {
        ModelConfig c = config;
        int B = batch.rows(), T = batch.seqLen(), N = B * T, d = c.hiddenSize();
        int[] positions = new int[N];
        int span = 0; // rotary positions in use: T, or the longest packed sequence (dynamic RoPE scaling reads it, as transformers reads max(position_ids)+1)
        for (int r = 0; r < N; r++) span = Math.max(span, (positions[r] = batch.position(r)) + 1);
        var ctx = new DecoderLayer.Context(c, B, T, positions, Rope.table(c, span), batch.attentionMask(),
                precision);

        Buffers w = buffers;
        int L = layers.size();
        boolean compact = keepActivations && !gradientCheckpointing && precision.reduced();
        boolean perLayer = keepActivations && !gradientCheckpointing && !compact;
        // 16-bit checkpoints: the blocks run between two float buffers and each input is kept in 16 bits
        boolean sixteen = keepActivations && gradientCheckpointing && hiddenDtype != DType.F32;
        float[] x = sixteen ? (w.ping = DecoderLayer.ensure(w.ping, N * d)) : (w.embedded = DecoderLayer.ensure(w.embedded, N * d));
        embed(batch, x);
        float[][] inputs = new float[L][];
        short[][] inputs16 = sixteen ? (w.inputs16 = w.inputs16 != null && w.inputs16.length == L ? w.inputs16 : new short[L][]) : null;
        var saved = new DecoderLayer.Activations[L];
        if (compact && w.stored == null) {
            w.stored = new SavedActivations[L];
            for (int l = 0; l < L; l++) w.stored[l] = new SavedActivations(precision);
        }
        if (perLayer && w.perLayer == null) {
            w.perLayer = new DecoderLayer.Activations[L];
            for (int l = 0; l < L; l++) w.perLayer[l] = new DecoderLayer.Activations();
        }
        if (keepActivations && gradientCheckpointing && w.outputs == null) w.outputs = new float[L][];
        for (DecoderLayer layer : layers) {
            int l = layer.index();
            DecoderLayer.Activations s;
            if (compact) {
                // computed in the float32 scratch set, then kept in 16 bits; the output moves into the stored set
                layer.forward(x, ctx, w.scratch);
                roundHidden(w.scratch.xOut, N * d);
                w.stored[l].save(w.scratch);
                x = w.stored[l].output();
                continue;
            }
            if (sixteen) {
                // the first block's input is the embedding lookup, done again rather than kept
                if (l > 0) inputs16[l] = store16(x, inputs16[l], N * d);
                s = w.scratch;
                s.xOut = x == w.ping ? (w.pong = DecoderLayer.ensure(w.pong, N * d)) : w.ping;
                layer.forward(x, ctx, s);
                x = s.xOut;
                roundHidden(x, N * d);
                continue;
            }
            inputs[l] = x;
            if (perLayer) {
                s = w.perLayer[l];
                saved[l] = s;
            } else {
                s = w.scratch;
                if (keepActivations) {
                    s.xOut = w.outputs[l] = DecoderLayer.ensure(w.outputs[l], N * d);
                } else {
                    // evaluation: the output alternates between two buffers so it never overwrites its own input
                    if (l % 2 == 0) s.xOut = w.ping = DecoderLayer.ensure(w.ping, N * d);
                    else s.xOut = w.pong = DecoderLayer.ensure(w.pong, N * d);
                }
            }
            layer.forward(x, ctx, s);
            x = s.xOut;
            roundHidden(x, N * d);
        }
        // with 16-bit checkpoints the float buffer the last block did not write is free
        float[] hFinal = sixteen ? (x == w.ping ? w.pong : w.ping) : (w.hFinal = DecoderLayer.ensure(w.hFinal, N * d));
        float[] rstdFinal = w.rstdFinal = DecoderLayer.ensure(w.rstdFinal, N);
        RmsNorm.forward(hFinal, rstdFinal, x, finalNorm.value(), N, d, c.rmsNormEps());
        return new Forward(ctx, inputs, inputs16, saved, compact ? w.stored : null, x, hFinal, rstdFinal);
    }

    /** The embedding lookup of the batch into {@code x}, rounded to the hidden-state dtype. */
    private void embed(Batch batch, float[] x) {
        try {
            if (frozenEmbed != null) frozenEmbed.gather(x, batch.inputIds());
            else Embedding.forward(x, batch.inputIds(), embed.value(), config.vocabSize(), config.hiddenSize());
        } catch (IllegalArgumentException e) {
            throw new JllmException("input_ids: " + e.getMessage());
        }
        roundHidden(x, x.length);
    }

    /** Rounds hidden states to the hidden-state dtype in place (nothing for F32). */
    private void roundHidden(float[] x, int n) {
        if (hiddenDtype == DType.F32) return;
        boolean bf16 = hiddenDtype == DType.BF16;
        dev.jllm.core.kernel.Parallel.forRange(n, 1 << 14, (w, i0, i1) -> {
            if (bf16) for (int i = i0; i < i1; i++) x[i] = DType.bf16ToFloat(DType.floatToBf16(x[i]));
            else for (int i = i0; i < i1; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        });
    }

    /** The 16-bit patterns of {@code x} (values of the hidden-state dtype already), into {@code into} when it fits. */
    private short[] store16(float[] x, short[] into, int n) {
        short[] out = into != null && into.length == n ? into : new short[n];
        boolean bf16 = hiddenDtype == DType.BF16;
        dev.jllm.core.kernel.Parallel.forRange(n, 1 << 14, (w, i0, i1) -> {
            if (bf16) for (int i = i0; i < i1; i++) out[i] = (short) (Float.floatToRawIntBits(x[i]) >>> 16);
            else for (int i = i0; i < i1; i++) out[i] = Float.floatToFloat16(x[i]);
        });
        return out;
    }

    private void load16(short[] bits, float[] x, int n) {
        boolean bf16 = hiddenDtype == DType.BF16;
        dev.jllm.core.kernel.Parallel.forRange(n, 1 << 14, (w, i0, i1) -> {
            if (bf16) for (int i = i0; i < i1; i++) x[i] = Float.intBitsToFloat((bits[i] & 0xFFFF) << 16);
            else for (int i = i0; i < i1; i++) x[i] = Float.float16ToFloat(bits[i]);
        });
    }

    private Result run(Batch batch, double numItemsInBatch, double lossScale, boolean backward) {
        ModelConfig c = config;
        int N = batch.rows() * batch.seqLen(), d = c.hiddenSize();
        Forward f = forward(batch, backward);
        Buffers w = buffers;
        float[] dh = null;
        if (backward) {
            dh = w.dh = DecoderLayer.ensure(w.dh, N * d);
            java.util.Arrays.fill(dh, 0f);
        }
        // the loss runs between the forward pass and the first recompute, while the scratch set is free: its largest
        // array holds the logits chunk, the largest buffer of the loss
        if (w.scratch.g != null) w.loss.lendLogits(w.scratch.g);
        CausalLmLoss.Result loss = CausalLmLoss.compute(f.hFinal(), frozenHead == null ? lmHead.value() : null, headProducts(), precision,
                batch.labels(), batch.rows(), batch.seqLen(), d, c.vocabSize(), numItemsInBatch, lossScale, dh,
                backward && frozenHead == null ? lmHead.grad() : null, w.loss);
        if (!backward) return new Result(loss.lossSum(), loss.tokens(), loss.correct(), numItemsInBatch);

        boolean sixteen = f.layerInputs16() != null;
        // 16-bit checkpoints: three float buffers serve the whole backward pass. The final norm's output is dead
        // after the loss and takes dx; the last block's output and dh are dead after the final norm's backward and
        // take each block's widened input and recomputed output.
        float[] dx = sixteen ? f.hFinal() : (w.dx = DecoderLayer.ensure(w.dx, N * d));
        java.util.Arrays.fill(dx, 0f);
        RmsNorm.backward(dx, finalNorm.grad(), dh, f.x(), finalNorm.value(), f.rstdFinal(), N, d);
        float[] blockIn = f.x(), blockOut = dh;
        for (int li = layers.size() - 1; li >= 0; li--) {
            DecoderLayer layer = layers.get(li);
            DecoderLayer.Activations s = f.saved()[li];
            if (f.stored() != null) {
                s = f.stored()[li].restore(w.scratch, w.view);
            } else if (s == null && sixteen) {
                s = w.scratch;
                if (li > 0) load16(f.layerInputs16()[li], blockIn, N * d);
                else embed(batch, blockIn);
                s.xOut = blockOut;
                layer.forward(blockIn, f.ctx(), s);
            } else if (s == null) {
                // checkpointed: recompute into the scratch set, its output into a buffer of its own
                s = w.scratch;
                s.xOut = w.recomputed = DecoderLayer.ensure(w.recomputed, N * d);
                layer.forward(f.layerInputs()[li], f.ctx(), s);
            }
            layer.backward(s, dx, f.ctx(), w.gradients);
        }
        if (embed.grad() != null) Embedding.backward(embed.grad(), dx, batch.inputIds(), d);
        return new Result(loss.lossSum(), loss.tokens(), loss.correct(), numItemsInBatch);
    }
}

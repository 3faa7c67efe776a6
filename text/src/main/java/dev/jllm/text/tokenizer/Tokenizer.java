package dev.jllm.text.tokenizer;

import dev.jllm.core.JllmException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A tokenizer that gives the same ids as Hugging Face {@code tokenizers} (or SentencePiece for tokenizer.model
 * files). Pipeline: added tokens are cut out, the rest is normalized, pre-tokenized into words, each word BPE
 * encoded, and the post-processor adds special tokens.
 *
 * <p>Java strings may hold unpaired surrogates, which Rust strings cannot: they are encoded as U+FFFD, as Rust's
 * {@code String::from_utf16_lossy} would convert them, so {@code decode(encode(s))} returns s with each lone
 * surrogate replaced by U+FFFD.
 *
 * <p>Instances are immutable apart from an internal word cache and safe to share between threads.
 */
public final class Tokenizer {
    private final String source;
    private final AddedVocabulary rawAdded;
    private final AddedVocabulary normalizedAdded;
    private final Map<Integer, AddedToken> addedById;
    private final Map<String, Integer> addedByContent;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    final BpeModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final TokenizerConfig config;
    /** Ids that decode to nothing whatever skipSpecialTokens says (SentencePiece control pieces). */
    private final Set<Integer> silentIds;

    Tokenizer(String source, List<AddedToken> addedTokens, Normalizer normalizer, PreTokenizer preTokenizer, BpeModel model,
              PostProcessor postProcessor, Decoder decoder, TokenizerConfig config, Set<Integer> silentIds) {
        this.source = source;
        this.rawAdded = new AddedVocabulary(addedTokens.stream().filter(t -> !t.normalized() || normalizer == null).toList());
        this.normalizedAdded = new AddedVocabulary(addedTokens.stream().filter(t -> t.normalized() && normalizer != null).toList());
        this.addedById = new HashMap<>();
        this.addedByContent = new HashMap<>();
        for (AddedToken t : addedTokens) {
            addedById.put(t.id(), t);
            addedByContent.put(t.content(), t.id());
        }
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.config = config;
        this.silentIds = silentIds;
    }

    /**
     * Loads a tokenizer from a model folder (tokenizer.json, else tokenizer.model, else a single .gguf), a
     * tokenizer.json, a SentencePiece tokenizer.model or a .gguf file. tokenizer_config.json next to it is read when
     * present.
     */
    public static Tokenizer load(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("tokenizer.json"))) return TokenizerJson.load(path.resolve("tokenizer.json"));
            if (Files.isRegularFile(path.resolve("tokenizer.model"))) return SentencePieceModel.load(path.resolve("tokenizer.model"));
            List<Path> ggufs;
            try (var s = Files.list(path)) {
                ggufs = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
            } catch (java.io.IOException e) {
                throw new JllmException(path + ": cannot list folder: " + e.getMessage(), e);
            }
            if (ggufs.size() == 1) return GgufVocab.load(ggufs.getFirst());
            throw new JllmException(path + ": no tokenizer.json, tokenizer.model or single .gguf file in this folder");
        }
        if (!Files.isRegularFile(path)) throw new JllmException(path + ": no such file or folder");
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) return TokenizerJson.load(path);
        if (name.endsWith(".model")) return SentencePieceModel.load(path);
        if (name.endsWith(".gguf")) return GgufVocab.load(path);
        throw new JllmException(path + ": unknown tokenizer file type (expected tokenizer.json, tokenizer.model or .gguf)");
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes text; {@code addSpecialTokens} runs the post-processor's template (BOS...). */
    public int[] encode(String text, boolean addSpecialTokens) {
        EncodingBuilder e = new EncodingBuilder(false, false, text.length() / 3 + 8);
        encodeInto(Utf8.replaceLoneSurrogates(text), e);
        postProcess(e, addSpecialTokens);
        return e.ids.toArray();
    }

    /** Encodes one text with offsets and masks, no padding or truncation. */
    public Encoding encodeWithOffsets(String text, boolean addSpecialTokens) {
        return encodeBatch(List.of(text), BatchOptions.defaults().withAddSpecialTokens(addSpecialTokens).withOffsets(true)).getFirst();
    }

    /** Encodes texts with truncation and padding as transformers' tokenizer call does. */
    public List<Encoding> encodeBatch(List<String> texts, BatchOptions options) {
        List<EncodingBuilder> built = new ArrayList<>(texts.size());
        int added = postProcessor == null ? 0 : postProcessor.addedTokens(options.addSpecialTokens());
        for (String text : texts) {
            EncodingBuilder e = new EncodingBuilder(options.returnOffsets());
            encodeInto(Utf8.replaceLoneSurrogates(text), e);
            if (options.truncation()) {
                int keep = Math.max(0, options.maxLength() - added);
                e.truncate(keep, options.truncationSide() == BatchOptions.Side.LEFT);
            }
            postProcess(e, options.addSpecialTokens());
            built.add(e);
        }
        int target = paddedLength(built, options);
        BatchOptions.Side side = options.paddingSide() != null ? options.paddingSide() : BatchOptions.Side.parse(config.paddingSide());
        int padId = -1;
        if (target >= 0 && built.stream().anyMatch(b -> b.ids.size < target)) {
            padId = padTokenId().orElseThrow(() -> new JllmException(source + ": padding requested but the tokenizer has no pad token"));
        }
        List<Encoding> out = new ArrayList<>(built.size());
        for (EncodingBuilder b : built) out.add(finish(b, target, padId, side));
        return out;
    }

    private static int paddedLength(List<EncodingBuilder> built, BatchOptions options) {
        int target = switch (options.padding()) {
            case NONE -> -1;
            case LONGEST -> built.stream().mapToInt(b -> b.ids.size).max().orElse(0);
            case MAX_LENGTH -> options.maxLength();
        };
        if (target >= 0 && options.padToMultipleOf() > 0) {
            int m = options.padToMultipleOf();
            target = (target + m - 1) / m * m;
        }
        return target;
    }

    private static Encoding finish(EncodingBuilder b, int target, int padId, BatchOptions.Side side) {
        int n = b.ids.size;
        int total = Math.max(n, target);
        int pad = total - n;
        int first = side == BatchOptions.Side.LEFT ? pad : 0;
        int[] ids = new int[total], mask = new int[total], special = new int[total];
        int[] offsets = b.offsets != null ? new int[2 * total] : null;
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(special, 1);
        for (int k = 0; k < n; k++) {
            ids[first + k] = b.ids.get(k);
            mask[first + k] = 1;
            special[first + k] = b.special.get(k);
            if (offsets != null) {
                offsets[2 * (first + k)] = b.offsets.get(2 * k);
                offsets[2 * (first + k) + 1] = b.offsets.get(2 * k + 1);
            }
        }
        return new Encoding(ids, mask, special, offsets);
    }

    private void postProcess(EncodingBuilder e, boolean addSpecialTokens) {
        e.fillFlags();
        if (postProcessor != null) postProcessor.process(e, addSpecialTokens, this::idToTokenOrNull);
    }

    private void encodeInto(String text, EncodingBuilder e) {
        if (rawAdded.isEmpty()) {
            encodePlain(text, 0, text.length(), e);
            return;
        }
        for (AddedVocabulary.Piece p : rawAdded.split(text, 0, text.length())) {
            // like HF, special_tokens_mask marks only what the post-processor adds, not special tokens typed in the text
            if (p.token() != null) e.add(p.token().id(), p.start(), p.end(), false, 0);
            else encodePlain(text, p.start(), p.end(), e);
        }
    }

    /** Normalizes and encodes text[from, to), which holds no raw added token. */
    private void encodePlain(String text, int from, int to, EncodingBuilder e) {
        String raw = from == 0 && to == text.length() ? text : text.substring(from, to);
        NormalizedText segment;
        if (normalizer == null) segment = new NormalizedText(raw, from);
        else if (e.offsets == null) segment = new NormalizedText(normalizer.normalize(raw), from); // alignment unused
        else segment = normalizer.apply(new NormalizedText(raw, from));
        if (normalizedAdded.isEmpty()) {
            encodeSegment(segment, e);
            return;
        }
        for (AddedVocabulary.Piece p : normalizedAdded.split(segment.text, 0, segment.length())) {
            if (p.token() != null) {
                e.add(p.token().id(), segment.originalStart(p.start()), segment.originalEnd(p.end()), false, 0);
            } else {
                encodeSegment(segment.slice(p.start(), p.end()), e);
            }
        }
    }

    private void encodeSegment(NormalizedText segment, EncodingBuilder e) {
        if (segment.length() == 0) return;
        boolean first = segment.originalStart(0) == 0;
        NormalizedText seg = preTokenizer != null ? preTokenizer.transform(segment, first) : segment;
        String s = seg.text;
        IntList modelOffsets = e.offsets != null ? new IntList() : null;
        int before = e.ids.size;
        if (preTokenizer == null) {
            model.encode(s, 0, s.length(), e.ids, modelOffsets);
        } else {
            IntList spans = new IntList();
            preTokenizer.split(s, 0, s.length(), spans);
            for (int k = 0; k < spans.size; k += 2) model.encode(s, spans.get(k), spans.get(k + 1), e.ids, modelOffsets);
        }
        if (modelOffsets != null) {
            for (int k = 0; k < e.ids.size - before; k++) {
                int from = modelOffsets.get(2 * k), to = modelOffsets.get(2 * k + 1);
                e.offsets.add(seg.originalFrom(from, to), seg.originalEnd(to));
            }
        }
        e.fillFlags();
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes ids as the Rust library does (no clean-up of tokenization spaces). Unknown ids are ignored. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids, skipSpecialTokens, false);
    }

    /**
     * Decodes ids; {@code cleanUpTokenizationSpaces} then applies transformers' {@code clean_up_tokenization}
     * (" ." to ".", " n't" to "n't", ...), which transformers does when tokenizer_config.json sets
     * {@code clean_up_tokenization_spaces} (see {@link #cleanUpTokenizationSpaces()}).
     */
    public String decode(int[] ids, boolean skipSpecialTokens, boolean cleanUpTokenizationSpaces) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (silentIds.contains(id)) continue;
            AddedToken added = addedById.get(id);
            if (added != null) {
                if (skipSpecialTokens && added.special()) continue;
                tokens.add(added.content());
                continue;
            }
            String t = model.idToToken(id);
            if (t != null) tokens.add(t);
        }
        String text = decoder != null ? String.join("", decoder.decodeChain(tokens)) : String.join(" ", tokens);
        return cleanUpTokenizationSpaces ? cleanUp(text) : text;
    }

    /** transformers' {@code clean_up_tokenization}. */
    public static String cleanUp(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** A decoder for streaming generation: feed ids one by one, get text only once whole characters are known. */
    public StreamDecoder streamDecoder(boolean skipSpecialTokens) {
        return new StreamDecoder(this, skipSpecialTokens);
    }

    // ---------------------------------------------------------------- vocabulary and configuration

    /** Number of ids (model vocabulary and added tokens). */
    public int vocabSize() {
        int max = model.vocabSize() - 1;
        for (int id : addedById.keySet()) max = Math.max(max, id);
        return max + 1;
    }

    public Optional<String> idToToken(int id) {
        return Optional.ofNullable(idToTokenOrNull(id));
    }

    private String idToTokenOrNull(int id) {
        AddedToken a = addedById.get(id);
        return a != null ? a.content() : model.idToToken(id);
    }

    public OptionalInt tokenToId(String token) {
        Integer id = addedByContent.get(token);
        if (id == null) id = model.vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The added tokens (tokenizer.json {@code added_tokens}, SentencePiece control pieces, GGUF control tokens). */
    public List<AddedToken> addedTokens() {
        return addedById.values().stream().sorted(java.util.Comparator.comparingInt(AddedToken::id)).toList();
    }

    public boolean isSpecial(int id) {
        AddedToken a = addedById.get(id);
        return (a != null && a.special()) || silentIds.contains(id);
    }

    public TokenizerConfig config() {
        return config;
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(config.bosToken());
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(config.eosToken());
    }

    public Optional<String> padToken() {
        return Optional.ofNullable(config.padToken());
    }

    public Optional<String> unkToken() {
        return Optional.ofNullable(config.unkToken());
    }

    public OptionalInt bosTokenId() {
        return idOf(config.bosToken());
    }

    public OptionalInt eosTokenId() {
        return idOf(config.eosToken());
    }

    public OptionalInt padTokenId() {
        return idOf(config.padToken());
    }

    public OptionalInt unkTokenId() {
        return idOf(config.unkToken());
    }

    private OptionalInt idOf(String token) {
        return token == null ? OptionalInt.empty() : tokenToId(token);
    }

    /** tokenizer_config.json {@code add_bos_token}; when absent, whether the post-processor adds the BOS token. */
    public boolean addBosToken() {
        if (config.addBosToken() != null) return config.addBosToken();
        OptionalInt bos = bosTokenId();
        if (bos.isEmpty()) return false;
        int[] ids = encode("", true);
        return ids.length > 0 && ids[0] == bos.getAsInt();
    }

    /** tokenizer_config.json {@code add_eos_token}; when absent, whether the post-processor appends the EOS token. */
    public boolean addEosToken() {
        if (config.addEosToken() != null) return config.addEosToken();
        OptionalInt eos = eosTokenId();
        if (eos.isEmpty()) return false;
        int[] ids = encode("", true);
        return ids.length > 0 && ids[ids.length - 1] == eos.getAsInt();
    }

    public long modelMaxLength() {
        return config.modelMaxLength();
    }

    public BatchOptions.Side paddingSide() {
        return BatchOptions.Side.parse(config.paddingSide());
    }

    public boolean cleanUpTokenizationSpaces() {
        return config.cleanUpTokenizationSpaces();
    }

    /** The raw {@code chat_template} (for a list of named templates: the one named "default", if any). */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(config.chatTemplate());
    }

    /** Named chat templates when tokenizer_config.json holds a list of them (name to source); else empty. */
    public Map<String, String> namedChatTemplates() {
        return config.namedChatTemplates();
    }

    /** Where the tokenizer was loaded from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", vocab " + vocabSize() + "]";
    }
}

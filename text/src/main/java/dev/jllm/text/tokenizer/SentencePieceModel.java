package dev.jllm.text.tokenizer;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads SentencePiece {@code tokenizer.model} files (ModelProto, BPE type) and builds a tokenizer with
 * SentencePiece's own semantics: control pieces such as {@code <s>} typed in the text are plain text, decoding drops
 * them, add_special_tokens means BOS.
 */
final class SentencePieceModel {
    private SentencePieceModel() {}

    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final int MODEL_UNIGRAM = 1, MODEL_BPE = 2;

    /** The parts of ModelProto that tokenization needs. */
    record Proto(List<String> pieces, List<Float> scores, List<Integer> types, int modelType, boolean byteFallback,
                 int unkId, int bosId, int eosId, int padId, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                 boolean escapeWhitespaces, String normalizerName, boolean hasCharsMap) {}

    static Tokenizer load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        Proto proto = parse(bytes, file.toString());
        return build(proto, file);
    }

    static Proto parse(byte[] bytes, String where) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int modelType = MODEL_UNIGRAM;
        boolean byteFallback = false;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;
        boolean dummy = true, removeWs = true, escapeWs = true;
        String normName = "";
        boolean charsMap = false;
        ProtoReader r = new ProtoReader(bytes, 0, bytes.length, where);
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                ProtoReader p = r.message("pieces[" + pieces.size() + "]");
                String piece = null;
                float score = 0;
                int type = NORMAL;
                while (p.more()) {
                    long t = p.varint();
                    int f = (int) (t >>> 3), w = (int) (t & 7);
                    if (f == 1 && w == 2) piece = p.string("piece");
                    else if (f == 2 && w == 5) score = Float.intBitsToFloat(p.fixed32());
                    else if (f == 3 && w == 0) type = (int) p.varint();
                    else p.skip(w);
                }
                if (piece == null) throw new JllmException(where + ": field pieces[" + pieces.size() + "].piece is missing");
                if (type < NORMAL || type > BYTE) throw new JllmException(where + ": field pieces[" + pieces.size() + "].type: unknown type " + type);
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else if (field == 2 && wire == 2) {
                ProtoReader t = r.message("trainer_spec");
                while (t.more()) {
                    long tg = t.varint();
                    int f = (int) (tg >>> 3), w = (int) (tg & 7);
                    if (w == 0 && f == 3) modelType = (int) t.varint();
                    else if (w == 0 && f == 35) byteFallback = t.varint() != 0;
                    else if (w == 0 && f == 40) unkId = (int) t.varint();
                    else if (w == 0 && f == 41) bosId = (int) t.varint();
                    else if (w == 0 && f == 42) eosId = (int) t.varint();
                    else if (w == 0 && f == 43) padId = (int) t.varint();
                    else t.skip(w);
                }
            } else if (field == 3 && wire == 2) {
                ProtoReader n = r.message("normalizer_spec");
                while (n.more()) {
                    long tg = n.varint();
                    int f = (int) (tg >>> 3), w = (int) (tg & 7);
                    if (f == 1 && w == 2) normName = n.string("name");
                    else if (f == 2 && w == 2) charsMap = n.message("precompiled_charsmap").end > 0 && true;
                    else if (f == 3 && w == 0) dummy = n.varint() != 0;
                    else if (f == 4 && w == 0) removeWs = n.varint() != 0;
                    else if (f == 5 && w == 0) escapeWs = n.varint() != 0;
                    else n.skip(w);
                }
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) throw new JllmException(where + ": not a SentencePiece model (no pieces)");
        return new Proto(pieces, scores, types, modelType, byteFallback, unkId, bosId, eosId, padId, dummy, removeWs,
                escapeWs, normName, charsMap);
    }

    private static Tokenizer build(Proto p, Path file) {
        String where = file.toString();
        if (p.modelType() != MODEL_BPE) {
            String name = switch (p.modelType()) {
                case MODEL_UNIGRAM -> "UNIGRAM";
                case 3 -> "WORD";
                case 4 -> "CHAR";
                default -> String.valueOf(p.modelType());
            };
            throw new JllmException(where + ": field trainer_spec.model_type: " + name + " models are not supported (only BPE)");
        }
        if (p.hasCharsMap() && !p.normalizerName().equals("identity")) {
            throw new JllmException(where + ": field normalizer_spec.name: normalizer \"" + p.normalizerName()
                    + "\" (precompiled character map) is not supported; only \"identity\"");
        }
        int n = p.pieces().size();
        if (p.unkId() < 0 || p.unkId() >= n) throw new JllmException(where + ": field trainer_spec.unk_id: " + p.unkId() + " is out of range");
        String[] pieces = p.pieces().toArray(String[]::new);
        float[] scores = new float[n];
        boolean[] mergeable = new boolean[n];
        boolean[] unused = new boolean[n];
        boolean anyUnused = false;
        Map<String, Integer> vocab = new HashMap<>(n * 2);
        Set<Integer> control = new HashSet<>();
        List<AddedToken> userDefined = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scores[i] = p.scores().get(i);
            int type = p.types().get(i);
            mergeable[i] = type == NORMAL || type == USER_DEFINED || type == UNUSED;
            unused[i] = type == UNUSED;
            anyUnused |= unused[i];
            vocab.putIfAbsent(pieces[i], i);
            if (type == CONTROL) control.add(i);
            if (type == USER_DEFINED) userDefined.add(new AddedToken(i, pieces[i], false, false, false, false, true));
        }
        MergeTable merges = BpeModel.mergesFromScores(pieces, scores, mergeable);
        BpeModel model = new BpeModel(vocab, merges, false, p.byteFallback(), p.unkId(), true, false, null, null,
                anyUnused ? unused : null);
        List<Normalizer> norm = new ArrayList<>();
        if (p.removeExtraWhitespaces()) norm.add(new Normalizer.CollapseSpaces());
        if (p.addDummyPrefix()) norm.add(new Normalizer.Prepend(p.escapeWhitespaces() ? "\u2581" : " "));
        if (p.escapeWhitespaces()) norm.add(new Normalizer.Replace(null, " ", "\u2581"));
        List<PostProcessor.TemplatePiece> template = new ArrayList<>();
        if (p.bosId() >= 0 && p.bosId() < n) template.add(new PostProcessor.TemplatePiece(new int[]{p.bosId()}, 0));
        template.add(new PostProcessor.TemplatePiece(null, 0));
        TokenizerConfig fromFolder = TokenizerJson.readConfig(file.toAbsolutePath().getParent());
        TokenizerConfig config = new TokenizerConfig(
                orElse(fromFolder.bosToken(), piece(pieces, p.bosId())), orElse(fromFolder.eosToken(), piece(pieces, p.eosId())),
                orElse(fromFolder.padToken(), piece(pieces, p.padId())), orElse(fromFolder.unkToken(), piece(pieces, p.unkId())),
                fromFolder.addBosToken() != null ? fromFolder.addBosToken() : Boolean.TRUE,
                fromFolder.addEosToken() != null ? fromFolder.addEosToken() : Boolean.FALSE,
                fromFolder.modelMaxLength(), fromFolder.paddingSide(), fromFolder.truncationSide(),
                fromFolder.cleanUpTokenizationSpaces(), fromFolder.chatTemplate(), fromFolder.namedChatTemplates());
        return new Tokenizer(where, userDefined, new Normalizer.Sequence(norm), null, model,
                new PostProcessor.Template(template), new Decoder.SentencePiece(pieces[p.unkId()], p.addDummyPrefix()),
                config, Set.copyOf(control));
    }

    private static String piece(String[] pieces, int id) {
        return id >= 0 && id < pieces.length ? pieces[id] : null;
    }

    private static String orElse(String a, String b) {
        return a != null ? a : b;
    }
}

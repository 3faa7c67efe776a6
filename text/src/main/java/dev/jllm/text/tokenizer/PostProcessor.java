package dev.jllm.text.tokenizer;

import java.util.List;
import java.util.function.IntFunction;

/** The {@code post_processor} stage: adds special tokens around a sequence and adjusts offsets. */
sealed interface PostProcessor {

    /** How many tokens {@link #process} adds to a single sequence. */
    int addedTokens(boolean addSpecialTokens);

    void process(EncodingBuilder encoding, boolean addSpecialTokens, IntFunction<String> idToToken);

    /** A piece of a TemplateProcessing template: a special token's ids, or the sequence itself (ids == null). */
    record TemplatePiece(int[] ids, int typeId) {}

    record Template(List<TemplatePiece> single) implements PostProcessor {
        @Override
        public int addedTokens(boolean addSpecialTokens) {
            if (!addSpecialTokens) return 0;
            return single.stream().filter(p -> p.ids() != null).mapToInt(p -> p.ids().length).sum();
        }

        @Override
        public void process(EncodingBuilder e, boolean addSpecialTokens, IntFunction<String> idToToken) {
            if (!addSpecialTokens) return;
            int at = single.indexOf(single.stream().filter(p -> p.ids() == null).findFirst().orElse(null));
            if (at < 0) throw new IllegalStateException("template without the sequence");
            EncodingBuilder prefix = new EncodingBuilder(e.offsets != null, e.special != null, 4);
            for (TemplatePiece p : single.subList(0, at)) for (int id : p.ids()) prefix.add(id, 0, 0, true, p.typeId());
            int typeId = single.get(at).typeId();
            if (typeId != 0 && e.typeIds != null) for (int k = 0; k < e.typeIds.size; k++) e.typeIds.data[k] = typeId;
            e.prepend(prefix);
            for (TemplatePiece p : single.subList(at + 1, single.size())) for (int id : p.ids()) e.add(id, 0, 0, true, p.typeId());
        }
    }

    /** Byte-level: optionally trims the offsets of each token so they exclude its leading/trailing spaces ("Ġ"). */
    record ByteLevel(boolean trimOffsets) implements PostProcessor {
        @Override
        public int addedTokens(boolean addSpecialTokens) {
            return 0;
        }

        @Override
        public void process(EncodingBuilder e, boolean addSpecialTokens, IntFunction<String> idToToken) {
            if (!trimOffsets || e.offsets == null || e.special == null) return;
            for (int k = 0; k < e.ids.size; k++) {
                if (e.special.get(k) != 0) continue;
                String token = idToToken.apply(e.ids.get(k));
                if (token == null) continue;
                int leading = 0, trailing = 0;
                while (leading < token.length() && token.charAt(leading) == '\u0120') leading++;
                while (trailing < token.length() - leading && token.charAt(token.length() - 1 - trailing) == '\u0120') trailing++;
                int start = e.offsets.get(2 * k), end = e.offsets.get(2 * k + 1);
                if (leading > 0 && end - start > 0) start = Math.min(end, start + leading);
                if (trailing > 0 && end - start > 0) end = Math.max(start, end - trailing);
                e.offsets.data[2 * k] = start;
                e.offsets.data[2 * k + 1] = end;
            }
        }
    }

    record Sequence(List<PostProcessor> processors) implements PostProcessor {
        @Override
        public int addedTokens(boolean addSpecialTokens) {
            return processors.stream().mapToInt(p -> p.addedTokens(addSpecialTokens)).sum();
        }

        @Override
        public void process(EncodingBuilder e, boolean addSpecialTokens, IntFunction<String> idToToken) {
            for (PostProcessor p : processors) p.process(e, addSpecialTokens, idToToken);
        }
    }
}

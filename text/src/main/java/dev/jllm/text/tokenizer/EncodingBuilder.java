package dev.jllm.text.tokenizer;

/** The mutable encoding that flows through the pipeline: ids, optional offsets, special-token flags, type ids. */
final class EncodingBuilder {
    final IntList ids = new IntList(64);
    final IntList offsets;
    final IntList special = new IntList(64);
    final IntList typeIds = new IntList(64);

    EncodingBuilder(boolean withOffsets) {
        offsets = withOffsets ? new IntList(128) : null;
    }

    void add(int id, int start, int end, boolean isSpecial, int typeId) {
        ids.add(id);
        if (offsets != null) offsets.add(start, end);
        special.add(isSpecial ? 1 : 0);
        typeIds.add(typeId);
    }

    /** Gives the ids the model appended directly to {@link #ids} their (non-special, type 0) flags. */
    void fillFlags() {
        while (special.size < ids.size) {
            special.add(0);
            typeIds.add(0);
        }
    }

    EncodingBuilder copy() {
        EncodingBuilder c = new EncodingBuilder(offsets != null);
        c.append(this, -1);
        return c;
    }

    void append(EncodingBuilder other, int typeId) {
        for (int k = 0; k < other.ids.size; k++) {
            add(other.ids.get(k), other.offsets != null ? other.offsets.get(2 * k) : 0,
                    other.offsets != null ? other.offsets.get(2 * k + 1) : 0, other.special.get(k) != 0,
                    typeId < 0 ? other.typeIds.get(k) : typeId);
        }
    }

    void clear() {
        ids.clear();
        if (offsets != null) offsets.clear();
        special.clear();
        typeIds.clear();
    }

    /** Keeps {@code keep} tokens, dropping from the right or the left. */
    void truncate(int keep, boolean fromLeft) {
        int n = ids.size;
        if (n <= keep) return;
        int drop = n - keep;
        if (fromLeft) {
            shift(ids, drop, 1);
            if (offsets != null) shift(offsets, drop, 2);
            shift(special, drop, 1);
            shift(typeIds, drop, 1);
        }
        ids.size = keep;
        if (offsets != null) offsets.size = 2 * keep;
        special.size = keep;
        typeIds.size = keep;
    }

    private static void shift(IntList list, int drop, int width) {
        System.arraycopy(list.data, drop * width, list.data, 0, list.size - drop * width);
        list.size -= drop * width;
    }
}

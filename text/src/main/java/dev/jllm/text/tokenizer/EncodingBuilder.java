package dev.jllm.text.tokenizer;

/**
 * The mutable encoding that flows through the pipeline: ids, and when a full {@link Encoding} is wanted also
 * offsets, special-token flags and type ids (plain {@code encode} tracks ids only).
 */
final class EncodingBuilder {
    final IntList ids;
    final IntList offsets;
    final IntList special;
    final IntList typeIds;

    EncodingBuilder(boolean withOffsets) {
        this(withOffsets, true, 64);
    }

    EncodingBuilder(boolean withOffsets, boolean withFlags, int capacity) {
        ids = new IntList(capacity);
        offsets = withOffsets ? new IntList(2 * capacity) : null;
        special = withFlags ? new IntList(capacity) : null;
        typeIds = withFlags ? new IntList(capacity) : null;
    }

    void add(int id, int start, int end, boolean isSpecial, int typeId) {
        ids.add(id);
        if (offsets != null) offsets.add(start, end);
        if (special != null) {
            special.add(isSpecial ? 1 : 0);
            typeIds.add(typeId);
        }
    }

    /** Gives the ids the model appended directly to {@link #ids} their (non-special, type 0) flags. */
    void fillFlags() {
        if (special == null) return;
        while (special.size < ids.size) {
            special.add(0);
            typeIds.add(0);
        }
    }

    /** Puts the tokens of {@code head} in front of these. */
    void prepend(EncodingBuilder head) {
        if (head.ids.size == 0) return;
        prepend(ids, head.ids);
        if (offsets != null) prepend(offsets, head.offsets);
        if (special != null) {
            prepend(special, head.special);
            prepend(typeIds, head.typeIds);
        }
    }

    private static void prepend(IntList list, IntList head) {
        int n = list.size, h = head.size;
        if (n + h > list.data.length) list.data = java.util.Arrays.copyOf(list.data, n + h + 16);
        System.arraycopy(list.data, 0, list.data, h, n);
        System.arraycopy(head.data, 0, list.data, 0, h);
        list.size = n + h;
    }

    /** Keeps {@code keep} tokens, dropping from the right or the left. */
    void truncate(int keep, boolean fromLeft) {
        int n = ids.size;
        if (n <= keep) return;
        int drop = n - keep;
        if (fromLeft) {
            shift(ids, drop, 1);
            if (offsets != null) shift(offsets, drop, 2);
            if (special != null) {
                shift(special, drop, 1);
                shift(typeIds, drop, 1);
            }
        }
        ids.size = keep;
        if (offsets != null) offsets.size = 2 * keep;
        if (special != null) {
            special.size = keep;
            typeIds.size = keep;
        }
    }

    private static void shift(IntList list, int drop, int width) {
        System.arraycopy(list.data, drop * width, list.data, 0, list.size - drop * width);
        list.size -= drop * width;
    }
}

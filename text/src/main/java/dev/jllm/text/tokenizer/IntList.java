package dev.jllm.text.tokenizer;

import java.util.Arrays;

/** A growable int array: the encoder appends ids and offsets without boxing. */
final class IntList {
    int[] data;
    int size;

    IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    IntList() {
        this(16);
    }

    void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, data.length * 2);
        data[size++] = v;
    }

    void add(int a, int b) {
        if (size + 2 > data.length) data = Arrays.copyOf(data, Math.max(data.length * 2, size + 2));
        data[size++] = a;
        data[size++] = b;
    }

    void addAll(int[] values) {
        if (size + values.length > data.length) data = Arrays.copyOf(data, Math.max(data.length * 2, size + values.length));
        System.arraycopy(values, 0, data, size, values.length);
        size += values.length;
    }

    int get(int i) {
        return data[i];
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(data, size);
    }
}

package dev.jllm.core.gguf;

/** Metadata value types of the GGUF format, by their on-disk numbers. */
enum GgufValueType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    static GgufValueType byId(int id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}

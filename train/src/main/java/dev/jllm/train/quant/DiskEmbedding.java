package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.train.nn.FrozenEmbedding;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

/**
 * A frozen embedding table read in place from its checkpoint file: each lookup reads just the rows its tokens use
 * (positioned reads through one row-sized buffer, no mapping), so the table costs the process no resident memory; the
 * operating system's page cache may keep the file, shared and reclaimable, as it keeps llama.cpp's mapped weights.
 * Values are widened and rounded to {@code format} (the model's 16-bit dtype), as a table loaded into memory in that
 * dtype would hold them. The file must not change while the model lives: its size and modification time are checked at
 * every lookup, and a changed file is an error, never silently different weights.
 */
public final class DiskEmbedding implements FrozenEmbedding {
    private final Path file;
    private final long offset;
    private final DType stored;
    private final DType format;
    private final int rows, cols;
    private final long size;
    private final FileTime modified;

    private DiskEmbedding(Path file, long offset, DType stored, DType format, int rows, int cols) {
        this.file = file;
        this.offset = offset;
        this.stored = stored;
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        try {
            this.size = Files.size(file);
            this.modified = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the embedding table: " + e.getMessage(), e);
        }
    }

    /** The 2-D tensor {@code name} of an open checkpoint (F32, F16 or BF16), read from its file as the model needs it. */
    public static DiskEmbedding of(Checkpoint checkpoint, String name, DType format) {
        if (format != DType.BF16 && format != DType.F16) throw new IllegalArgumentException("a 16-bit table is BF16 or F16, not " + format);
        SafeTensor t = checkpoint.tensor(name);
        if (t.shape().length != 2) throw new JllmException(checkpoint.source() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape()) + ", expected a 2-D table");
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new JllmException(checkpoint.source() + ": tensor '" + name + "' is " + t.dtype() + ", expected F32, F16 or BF16");
        }
        Checkpoint.Location at = checkpoint.location(name);
        return new DiskEmbedding(at.file(), at.offset(), t.dtype(), format, Math.toIntExact(t.shape()[0]), Math.toIntExact(t.shape()[1]));
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    @Override
    public void gather(float[] y, int[] ids) {
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= rows) throw new IllegalArgumentException("token id " + id + " at position " + t + " is outside the vocabulary [0, " + rows + ")");
        }
        read(channel -> {
            ByteBuffer row = ByteBuffer.allocate(cols * stored.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < ids.length; t++) readRow(channel, ids[t], row, y, t * cols);
        });
    }

    @Override
    public float[] dequantized() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        read(channel -> {
            ByteBuffer row = ByteBuffer.allocate(cols * stored.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) readRow(channel, r, row, out, r * cols);
        });
        return out;
    }

    private interface Reader {
        void read(FileChannel channel) throws IOException;
    }

    private void read(Reader reader) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() != size || !Files.getLastModifiedTime(file).equals(modified)) {
                throw new JllmException(file + ": the model file changed since it was loaded (its embedding table is read from it); reload the model");
            }
            reader.read(channel);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the embedding table: " + e.getMessage(), e);
        }
    }

    private void readRow(FileChannel channel, int r, ByteBuffer row, float[] dst, int at) throws IOException {
        row.clear();
        long position = offset + (long) r * row.capacity();
        while (row.hasRemaining()) {
            if (channel.read(row, position + row.position()) < 0) throw new JllmException(file + ": ends inside embedding row " + r);
        }
        row.flip();
        boolean bf16 = format == DType.BF16;
        for (int c = 0; c < cols; c++) {
            float v = switch (stored) {
                case BF16 -> DType.bf16ToFloat(row.getShort());
                case F16 -> DType.f16ToFloat(row.getShort());
                default -> row.getFloat();
            };
            dst[at + c] = stored == format ? v : bf16 ? DType.bf16ToFloat(DType.floatToBf16(v)) : DType.f16ToFloat(DType.floatToF16(v));
        }
    }
}

package dev.jllm.train.sft;

import dev.jllm.core.JllmException;
import dev.jllm.train.data.Batch;
import dev.jllm.train.data.Collator;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PackingTest {
    private static Example row(int... ids) {
        return new Example(ids, null, null);
    }

    private static List<Example> trlExample() {
        return List.of(row(1, 2, 3, 4, 5), row(6, 7), row(8, 9, 10), row(11));
    }

    private static List<List<Integer>> ids(List<Example> rows) {
        var out = new ArrayList<List<Integer>>();
        for (Example e : rows) out.add(java.util.Arrays.stream(e.inputIds()).boxed().toList());
        return out;
    }

    private static List<List<Integer>> lengths(List<Example> rows) {
        var out = new ArrayList<List<Integer>>();
        for (Example e : rows) out.add(java.util.Arrays.stream(e.seqLengths()).boxed().toList());
        return out;
    }

    /** The examples of TRL's pack_dataset docstring, seq_length 4. */
    @Test
    void bestFitDecreasingAsTrlPacks() {
        List<Example> bfd = Packing.pack(trlExample(), 4, Packing.Strategy.BFD);
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(8, 9, 10, 11), List.of(6, 7)), ids(bfd));
        assertEquals(List.of(List.of(4), List.of(3, 1), List.of(2)), lengths(bfd));

        List<Example> split = Packing.pack(trlExample(), 4, Packing.Strategy.BFD_SPLIT);
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(8, 9, 10, 5), List.of(6, 7, 11)), ids(split));
        assertEquals(List.of(List.of(4), List.of(3, 1), List.of(2, 1)), lengths(split));
    }

    @Test
    void bestFitTakesTheTightestBinAndTheOldestOnTies() {
        // lengths 5, 5, 3, 2, 2 in bins of 7: the 3 goes to a new bin (no space of 3 yet), then each 2 fills a space of 2
        List<Example> packed = Packing.pack(List.of(row(1, 1, 1, 1, 1), row(2, 2, 2, 2, 2), row(3, 3, 3), row(4, 4), row(5, 5)), 7, Packing.Strategy.BFD);
        assertEquals(List.of(List.of(1, 1, 1, 1, 1, 4, 4), List.of(2, 2, 2, 2, 2, 5, 5), List.of(3, 3, 3)), ids(packed));
    }

    @Test
    void wrappedConcatenatesAndCutsIntoBlocks() {
        List<Example> wrapped = Packing.pack(trlExample(), 4, Packing.Strategy.WRAPPED);
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(5, 6, 7, 8), List.of(9, 10, 11)), ids(wrapped));
        for (Example e : wrapped) assertNull(e.seqLengths());
    }

    @Test
    void labelsTravelWithTheirTokensAndGroupsOfAThousandPackAlone() {
        var rows = List.of(new Example(new int[]{1, 2, 3}, new int[]{-100, 2, 3}, null), new Example(new int[]{4, 5}, new int[]{-100, 5}, null));
        Example bin = Packing.pack(rows, 8, Packing.Strategy.BFD).getFirst();
        assertArrayEquals(new int[]{1, 2, 3, 4, 5}, bin.inputIds());
        assertArrayEquals(new int[]{-100, 2, 3, -100, 5}, bin.labels());

        var many = new ArrayList<Example>();
        for (int i = 0; i < Packing.MAP_BATCH + 1; i++) many.add(row(7));
        List<Example> packed = Packing.pack(many, 4000, Packing.Strategy.BFD);
        assertEquals(2, packed.size(), "rows 0..999 and row 1000 are packed by separate map batches");
        assertEquals(Packing.MAP_BATCH, packed.getFirst().length());
        assertThrows(JllmException.class, () -> Packing.Strategy.parse("greedy"));
    }

    /** TRL's padding-free collator: one row, positions restarting per sequence, the first label of each sequence -100. */
    @Test
    void paddingFreeCollation() {
        List<Example> bins = Packing.pack(trlExample(), 4, Packing.Strategy.BFD);
        Batch b = new Collator(0).collate(bins);
        assertEquals(1, b.rows());
        assertArrayEquals(new int[]{1, 2, 3, 4, 8, 9, 10, 11, 6, 7}, b.inputIds());
        assertArrayEquals(new int[]{0, 1, 2, 3, 0, 1, 2, 0, 0, 1}, b.positionIds());
        assertArrayEquals(new int[]{-100, 2, 3, 4, -100, 9, 10, -100, -100, 7}, b.labels());
        assertArrayEquals(new int[]{1, 1, 1, 1, 2, 2, 2, 3, 4, 4}, b.attentionMask());
        assertThrows(IllegalArgumentException.class, () -> new Collator(0).collate(List.of(bins.getFirst(), row(1, 2))));
    }

    /** A packed, padding-free row computes what its sequences computed one by one: same loss, same gradients. */
    @Test
    void packedBatchEqualsTheSequencesRunSeparately() throws Exception {
        packedEqualsSeparate(new int[]{5, 3, 6, 2, 4}, 8);
    }

    /** Rows longer than one attention tile (64 queries), so that later tiles start their keys inside the row. */
    @Test
    void longPackedRowsEqualTheSequencesRunSeparately() throws Exception {
        packedEqualsSeparate(new int[]{70, 50, 40, 30}, 200);
    }

    private static void packedEqualsSeparate(int[] lengths, int maxLength) throws Exception {
        for (String family : List.of("LLAMA", "MISTRAL", "QWEN3")) {
            String json = (String) TinyModels.class.getField(family).get(null);
            CausalLm packedModel = TinyModels.model(json, 5);
            CausalLm separateModel = TinyModels.model(json, 5);
            int vocab = packedModel.config().vocabSize();
            Random r = new Random(8);
            var rows = new ArrayList<Example>();
            for (int len : lengths) {
                int[] ids = new int[len];
                for (int i = 0; i < len; i++) ids[i] = r.nextInt(vocab);
                rows.add(new Example(ids, null, null));
            }
            List<Example> bins = Packing.pack(rows, maxLength, Packing.Strategy.BFD);
            assertTrue(bins.size() < rows.size());
            Batch packed = new Collator(0).collate(bins);
            int items = packed.labelCount();
            int separateItems = 0;
            for (Example e : rows) separateItems += new Collator(0).collate(List.of(e)).labelCount();
            assertEquals(separateItems, items, "packing neither adds nor drops a target");

            packedModel.zeroGrad();
            double packedLoss = packedModel.forwardBackward(packed, items).lossSum();
            separateModel.zeroGrad();
            double separateLoss = 0;
            for (Example e : rows) separateLoss += separateModel.forwardBackward(new Collator(0).collate(List.of(e)), items).lossSum();
            // float32 engine: the packed row sums in another order, so equal up to rounding
            assertEquals(separateLoss, packedLoss, 1e-5 * Math.abs(separateLoss), family);
            List<Parameter> a = packedModel.parameters(), b = separateModel.parameters();
            for (int p = 0; p < a.size(); p++) {
                for (int i = 0; i < a.get(p).size(); i++) {
                    float expect = b.get(p).grad()[i];
                    assertEquals(expect, a.get(p).grad()[i], 1e-5 * Math.max(1, Math.abs(expect)), family + " " + a.get(p).name() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void sftDatasetPacksTrainAndHeldOutRowsSeparately(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("rows.jsonl");
        Files.writeString(file, """
                {"input_ids": [1, 2, 3, 4, 5, 6]}
                {"input_ids": [7, 8]}
                {"input_ids": [9, 10, 11]}
                {"input_ids": [12, 13]}
                """);
        SftDataset bfd = SftDataset.load(file, SftDataset.Fields.defaults(), null, null, -1, 20, 4, 0.25, Packing.Strategy.BFD);
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(9, 10, 11), List.of(7, 8)), ids(bfd.train().examples()));
        assertEquals(List.of(List.of(12, 13)), ids(bfd.eval().examples()));
        assertEquals(1, bfd.truncated());
        SftDataset wrapped = SftDataset.load(file, SftDataset.Fields.defaults(), null, null, -1, 20, 4, 0.25, Packing.Strategy.WRAPPED);
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(5, 6, 7, 8), List.of(9, 10, 11)), ids(wrapped.train().examples()));
        assertEquals(0, wrapped.truncated());
    }
}

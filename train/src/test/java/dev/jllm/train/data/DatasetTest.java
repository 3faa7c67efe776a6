package dev.jllm.train.data;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {
    @TempDir
    Path dir;

    private static int[] fakeEncode(String text) {
        return text.chars().map(c -> c % 50).toArray();
    }

    private Path write(String name, String... lines) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, List.of(lines));
        return p;
    }

    @Test
    void readsTextAndPreTokenizedRows() throws Exception {
        Path f = write("d.jsonl", "{\"text\":\"abc\"}", "", "{\"input_ids\":[1,2,3],\"labels\":[-100,2,3],\"attention_mask\":[1,1,0]}");
        Dataset d = Dataset.load(f, "text", DatasetTest::fakeEncode, 100, 10, true);
        assertEquals(2, d.size());
        assertArrayEquals(fakeEncode("abc"), d.examples().get(0).inputIds());
        assertNull(d.examples().get(0).labels());
        assertArrayEquals(new int[]{-100, 2, 3}, d.examples().get(1).labels());
    }

    @Test
    void readsAJsonArray() throws Exception {
        Path f = write("d.json", "[{\"q\":\"hi\"},{\"q\":\"there\"}]");
        assertEquals(2, Dataset.load(f, "q", DatasetTest::fakeEncode, 100, 10, true).size());
    }

    @Test
    void badLineNamesFileAndLine() throws Exception {
        Path f = write("d.jsonl", "{\"text\":\"a\"}", "{not json", "{\"text\":\"b\"}");
        var e = assertThrows(JllmException.class, () -> Dataset.load(f, "text", DatasetTest::fakeEncode, 100, 10, true));
        assertTrue(e.getMessage().contains("d.jsonl:2"), e.getMessage());
    }

    @Test
    void missingFieldNamesTheFieldsPresent() throws Exception {
        Path f = write("d.jsonl", "{\"text\":\"a\"}", "{\"prompt\":\"b\"}");
        var e = assertThrows(JllmException.class, () -> Dataset.load(f, "text", DatasetTest::fakeEncode, 100, 10, true));
        assertTrue(e.getMessage().contains("d.jsonl:2") && e.getMessage().contains("'text'") && e.getMessage().contains("prompt"), e.getMessage());
    }

    @Test
    void outOfRangeIdsAreRejected() throws Exception {
        Path f = write("d.jsonl", "{\"input_ids\":[1,200]}");
        var e = assertThrows(JllmException.class, () -> Dataset.load(f, "text", null, 100, 10, true));
        assertTrue(e.getMessage().contains("d.jsonl:1") && e.getMessage().contains("200"), e.getMessage());
    }

    @Test
    void longRowsAreTruncatedAndCountedOrRejected() throws Exception {
        Path f = write("d.jsonl", "{\"input_ids\":[1,2,3,4,5]}", "{\"input_ids\":[1,2]}");
        Dataset d = Dataset.load(f, "text", null, 100, 3, true);
        assertEquals(1, d.truncated());
        assertEquals(3, d.examples().get(0).length());
        assertThrows(JllmException.class, () -> Dataset.load(f, "text", null, 100, 3, false));
    }

    @Test
    void collatorPadsRightAndMasksPaddingByPosition() {
        // pad id 2 equals the EOS id: the real trailing 2 must keep its label.
        var c = new Collator(2);
        Batch b = c.collate(List.of(new Example(new int[]{1, 5, 2}, null, null), new Example(new int[]{1, 7}, null, null)));
        assertEquals(3, b.seqLen());
        assertArrayEquals(new int[]{1, 5, 2, 1, 7, 2}, b.inputIds());
        assertArrayEquals(new int[]{1, 1, 1, 1, 1, 0}, b.attentionMask());
        assertArrayEquals(new int[]{1, 5, 2, 1, 7, -100}, b.labels());
        assertEquals(3, b.labelCount());
    }
}

package dev.jllm.train.data;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CSV and plain-text datasets, the seeded split, packing and length-grouped sampling. */
class CorpusFormatsTest {
    @TempDir
    Path dir;

    private static int[] chars(String text) {
        return text.chars().toArray();
    }

    @Test
    void csvWithQuotedFieldsCommasQuotesAndLineBreaks() throws Exception {
        Path f = dir.resolve("d.csv");
        Files.writeString(f, "id,text\r\n1,plain\r\n2,\"a, b\"\r\n\n3,\"say \"\"hi\"\"\nnext\"\n");
        Dataset d = Dataset.load(f, "text", CorpusFormatsTest::chars, 1 << 16, 100, true);
        assertEquals(3, d.size());
        assertArrayEquals(chars("plain"), d.examples().get(0).inputIds());
        assertArrayEquals(chars("a, b"), d.examples().get(1).inputIds());
        assertArrayEquals(chars("say \"hi\"\nnext"), d.examples().get(2).inputIds());
        List<Csv.Row> rows = Csv.read(f);
        assertEquals(List.of(2, 3, 5), rows.stream().map(Csv.Row::line).toList());
    }

    @Test
    void csvErrorsNameTheLine() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "text,label\nok,1\nonly-one\n");
        var e = assertThrows(JllmException.class, () -> Csv.read(f));
        assertTrue(e.getMessage().contains("bad.csv:3") && e.getMessage().contains("1 field(s)"), e.getMessage());
        Files.writeString(f, "text\n\"never closed\n");
        e = assertThrows(JllmException.class, () -> Csv.read(f));
        assertTrue(e.getMessage().contains("bad.csv:2") && e.getMessage().contains("never closed"), e.getMessage());
        Files.writeString(f, "name\nx\n");
        e = assertThrows(JllmException.class, () -> Dataset.load(f, "text", CorpusFormatsTest::chars, 1 << 16, 100, true));
        assertTrue(e.getMessage().contains("bad.csv:2") && e.getMessage().contains("'text'"), e.getMessage());
    }

    @Test
    void plainTextIsOneDocumentPerParagraph() throws Exception {
        Path f = dir.resolve("c.txt");
        Files.writeString(f, "\nFirst line\nsecond line\n\n  \n\nOther paragraph\n");
        Dataset d = Dataset.load(f, "text", CorpusFormatsTest::chars, 1 << 16, 100, true);
        assertEquals(2, d.size());
        assertArrayEquals(chars("First line\nsecond line"), d.examples().get(0).inputIds());
        assertEquals(List.of(2, 7), PlainText.paragraphs(Files.readString(f)).stream().map(PlainText.Document::line).toList());
    }

    private static Dataset rows(int n) {
        var ex = new ArrayList<Example>();
        for (int i = 0; i < n; i++) ex.add(new Example(new int[]{i, i}, null, null));
        return new Dataset(ex, 0, Path.of("mem"));
    }

    @Test
    void splitIsSeededDisjointAndComplete() {
        Dataset d = rows(20);
        var a = d.split(0.25, 7);
        var b = d.split(0.25, 7);
        assertEquals(15, a.train().size());
        assertEquals(5, a.validation().size());
        var seen = new HashSet<Integer>();
        for (Example e : a.train().examples()) seen.add(e.inputIds()[0]);
        for (Example e : a.validation().examples()) assertTrue(seen.add(e.inputIds()[0]));
        assertEquals(20, seen.size());
        for (int i = 0; i < 5; i++) assertArrayEquals(a.validation().examples().get(i).inputIds(), b.validation().examples().get(i).inputIds());
        assertTrue(d.split(0.25, 8).validation().examples().stream().map(e -> e.inputIds()[0]).toList()
                .stream().anyMatch(x -> !a.validation().examples().stream().map(e -> e.inputIds()[0]).toList().contains(x)));
        assertEquals(1, rows(3).split(0.01, 1).validation().size());
        assertThrows(JllmException.class, () -> rows(1).split(0.5, 1));
        assertThrows(JllmException.class, () -> d.split(1.0, 1));
    }

    @Test
    void packingConcatenatesWithSeparatorsAndDropsTheRemainder() {
        var ex = List.of(new Example(new int[]{1, 2, 3}, null, null), new Example(new int[]{4}, null, null),
                new Example(new int[]{5, 6, 7, 8}, null, null));
        Dataset packed = new Dataset(ex, 0, Path.of("mem")).packed(4, 0);
        // stream 1 2 3 0 4 0 5 6 7 8 0 → two blocks of 4, remainder "7 8 0" dropped
        assertEquals(2, packed.size());
        assertArrayEquals(new int[]{1, 2, 3, 0}, packed.examples().get(0).inputIds());
        assertArrayEquals(new int[]{4, 0, 5, 6}, packed.examples().get(1).inputIds());
        assertEquals(4, new Dataset(ex, 0, Path.of("mem")).packed(2, -1).size());
        assertThrows(JllmException.class, () -> new Dataset(ex, 0, Path.of("mem")).packed(64, 0));
    }

    @Test
    void lengthGroupedOrderMatchesTransformers() {
        // 16 rows, batch 2: megabatch multiplier min(16 / 8, 50) = 2 → megabatches of 4
        int[] lengths = {5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 11, 1, 2, 3, 4, 12};
        int[] perm = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        int[] order = LengthGroupedSampler.order(lengths, perm, 2);
        // megabatches sorted longest first: [2,0,3,1] [6,4,7,5] [10,9,8,11] [15,14,13,12];
        // the longest (row 15, length 12) is swapped to the front with row 2
        assertArrayEquals(new int[]{15, 0, 3, 1, 6, 4, 7, 5, 10, 9, 8, 11, 2, 14, 13, 12}, order);
        // ties keep their permutation order (stable, as Python's sorted)
        assertArrayEquals(new int[]{2, 0, 1}, LengthGroupedSampler.order(new int[]{1, 1, 2}, new int[]{0, 1, 2}, 4));
    }
}

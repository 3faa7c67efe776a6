package dev.jllm.train.sft;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

class SftDatasetTest {
    /** One id per character (code point mod 90, +10), BOS = 1 first: enough to see which positions are masked. */
    private static final Function<String, int[]> ENCODER = text -> {
        int[] ids = new int[text.length() + 1];
        ids[0] = 1;
        for (int i = 0; i < text.length(); i++) ids[i + 1] = 10 + text.charAt(i) % 90;
        return ids;
    };
    private static final int EOS = 2;

    @TempDir
    Path dir;

    private SftDataset load(String jsonl, int maxLength, double evalShare) throws Exception {
        Path f = dir.resolve("rows.jsonl");
        Files.writeString(f, jsonl);
        return SftDataset.load(f, SftDataset.Fields.defaults(), ENCODER, EOS, 100, maxLength, evalShare);
    }

    @Test
    void promptCompletionRowsTakeLossOnTheCompletionAndEndWithEos() throws Exception {
        var d = load("{\"prompt\": \"Q?\", \"completion\": \"ab\"}\n", 1024, 0);
        var e = d.train().examples().getFirst();
        assertArrayEquals(new int[]{1, 10 + 'Q' % 90, 10 + '?' % 90, 10 + 'a' % 90, 10 + 'b' % 90, EOS}, e.inputIds());
        assertArrayEquals(new int[]{-100, -100, -100, 10 + 'a' % 90, 10 + 'b' % 90, EOS}, e.labels());
    }

    @Test
    void textRowsLearnEveryTokenAndAreCutToMaxLength() throws Exception {
        var d = load("{\"text\": \"hello\"}\n\n{\"text\": \"hi\"}\n", 4, 0);
        assertEquals(1, d.truncated());
        assertEquals(4, d.train().examples().getFirst().length());
        var second = d.train().examples().get(1);
        assertArrayEquals(second.inputIds(), second.labels());
        assertEquals(EOS, second.inputIds()[second.length() - 1]);
    }

    @Test
    void lastRowsAreHeldOut() throws Exception {
        var d = load("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n{\"text\": \"d\"}\n", 1024, 0.25);
        assertEquals(3, d.train().size());
        assertEquals(1, d.eval().size());
    }

    @Test
    void badRowsNameTheirLine() {
        var e = assertThrows(JllmException.class, () -> load("{\"text\": \"a\"}\n\n{\"other\": 1}\n", 1024, 0));
        assertTrue(e.getMessage().contains("rows.jsonl:3"), e.getMessage());
        e = assertThrows(JllmException.class, () -> load("{\"messages\": []}\n", 1024, 0));
        assertTrue(e.getMessage().contains("chat template"), e.getMessage());
    }
}

package dev.jllm.train.data;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text corpus cut into documents: one per paragraph, where paragraphs are separated by one or more blank
 * (whitespace-only) lines. Lines inside a paragraph keep their line breaks.
 */
public final class PlainText {
    private PlainText() {}

    /** One paragraph and the line it starts on (1-based). */
    public record Document(int line, String text) {}

    public static List<Document> paragraphs(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new JllmException(file + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        return paragraphs(text);
    }

    public static List<Document> paragraphs(String text) {
        var out = new ArrayList<Document>();
        String[] lines = text.split("\r?\n", -1);
        var current = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                if (!current.isEmpty()) out.add(new Document(start, current.toString()));
                current.setLength(0);
            } else {
                if (current.isEmpty()) start = i + 1;
                else current.append('\n');
                current.append(lines[i]);
            }
        }
        if (!current.isEmpty()) out.add(new Document(start, current.toString()));
        return out;
    }
}

package dev.jllm.eval.task;

import dev.jllm.core.JllmException;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A prompt with {@code {field}} placeholders (a literal brace is written {@code {{} / {}}}). Few-shot prompts
 * put each shot first as its rendered prompt followed by {@code answerPrefix} + its first reference and
 * {@code shotSeparator}.
 */
public record PromptTemplate(String template, String answerPrefix, String shotSeparator) {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{|}}|\\{([A-Za-z_][A-Za-z0-9_]*)}");

    public String render(Example e) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("{{")) replacement = "{";
            else if (m.group().equals("}}")) replacement = "}";
            else {
                String v = e.field(m.group(1));
                if (v == null) {
                    throw new JllmException("prompt template uses {" + m.group(1) + "} but example '" + e.id()
                            + "' has no such field (fields: " + e.fields().keySet() + ")");
                }
                replacement = v;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    public String render(Example e, List<Example> shots) {
        StringBuilder b = new StringBuilder();
        for (Example s : shots) {
            if (s.references().isEmpty()) throw new JllmException("few-shot example '" + s.id() + "' has no reference answer");
            b.append(render(s)).append(answerPrefix).append(s.references().getFirst()).append(shotSeparator);
        }
        return b.append(render(e)).toString();
    }
}

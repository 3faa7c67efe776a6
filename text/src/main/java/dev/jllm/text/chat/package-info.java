/**
 * Chat templates: {@link dev.jllm.text.chat.ChatTemplate} finds a model's template as transformers does
 * ({@code chat_template.jinja}, {@code tokenizer_config.json}, GGUF {@code tokenizer.chat_template}) and applies it
 * with transformers' {@code apply_chat_template} options ({@link dev.jllm.text.chat.ChatOptions}), optionally
 * tokenizing the result through a {@link dev.jllm.text.chat.ChatEncoder} without adding a second BOS.
 */
package dev.jllm.text.chat;

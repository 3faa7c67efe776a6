package dev.jllm.cli;

import dev.jllm.text.tokenizer.train.BpeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jllm tokenizer-train}: trains a byte-level BPE tokenizer and saves it as a Hugging Face tokenizer.json. */
@Command(name = "tokenizer-train", mixinStandardHelpOptions = true,
        description = {"Train a byte-level BPE tokenizer and save it as a Hugging Face tokenizer.json.",
                "GPT-2 style: 256 byte symbols, then the most frequent adjacent pair is merged until the vocabulary "
                        + "is full; writes OUTPUT/tokenizer.json and OUTPUT/tokenizer_config.json."})
public final class TokenizerTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files to train on.")
    List<Path> inputs;

    @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Vocabulary size: special tokens + 256 bytes + merges.")
    int vocabSize;

    @Option(names = "--min-frequency", paramLabel = "N", defaultValue = "2", description = "Smallest pair count that may still be merged.")
    int minFrequency;

    @Option(names = "--special-tokens", split = ",", paramLabel = "TOKEN", description = "Special tokens, comma separated; they get the first ids.")
    List<String> specialTokens = new ArrayList<>();

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder to write tokenizer.json and tokenizer_config.json into.")
    Path output;

    @Override
    public Integer call() {
        BpeTrainer trainer = new BpeTrainer(vocabSize, minFrequency, specialTokens);
        BpeTrainer.Result result = trainer.trainFiles(inputs);
        Path written = BpeTrainer.save(result, output);
        spec.commandLine().getOut().printf("wrote %s: %d tokens (%d special, 256 bytes, %d merges)%n", written,
                result.vocab().size(), result.specialTokens().size(), result.merges().size());
        spec.commandLine().getOut().flush();
        return 0;
    }
}

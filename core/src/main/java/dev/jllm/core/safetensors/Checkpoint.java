package dev.jllm.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face checkpoint: one {@code model.safetensors}, a sharded set described by
 * {@code model.safetensors.index.json}, or a single {@code .safetensors} file given directly.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafeTensor> tensors;

    private final Map<String, SafetensorsFile> fileOf;

    private Checkpoint(Path source, List<SafetensorsFile> files, Map<String, SafeTensor> tensors, Map<String, SafetensorsFile> fileOf) {
        this.source = source;
        this.files = files;
        this.tensors = tensors;
        this.fileOf = fileOf;
    }

    /** Where a tensor's bytes lie on disk: its file and the byte offset they start at. */
    public record Location(Path file, long offset) {}

    public Location location(String name) {
        SafetensorsFile f = fileOf.get(name);
        if (f == null) throw new JllmException(source + ": tensor '" + name + "' is missing");
        return new Location(f.path(), f.fileOffset(name));
    }

    public static Checkpoint open(Path folderOrFile) {
        if (Files.isRegularFile(folderOrFile)) {
            SafetensorsFile f = SafetensorsFile.open(folderOrFile);
            return fromFiles(folderOrFile, List.of(f), null);
        }
        if (!Files.isDirectory(folderOrFile)) throw new JllmException(folderOrFile + ": no such file or folder");
        Path index = folderOrFile.resolve(INDEX);
        if (Files.isRegularFile(index)) return openSharded(index);
        Path single = folderOrFile.resolve(SINGLE);
        if (Files.isRegularFile(single)) return open(single);
        throw new JllmException(folderOrFile + ": no " + SINGLE + " or " + INDEX + " found");
    }

    private static Checkpoint openSharded(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new JllmException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new JllmException(index + ": missing object field 'weight_map'");
        Map<String, String> weightMap = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) throw new JllmException(index + ": weight_map." + e.getKey() + " must be a file name");
            String shard = e.getValue().asText();
            if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                throw new JllmException(index + ": weight_map." + e.getKey() + " names a file outside the folder: " + shard);
            }
            weightMap.put(e.getKey(), shard);
        });
        Set<String> shardNames = new LinkedHashSet<>(weightMap.values());
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
            for (String shard : shardNames) {
                SafetensorsFile f = SafetensorsFile.open(index.resolveSibling(shard));
                files.add(f);
                byShard.put(shard, f);
            }
            Map<String, SafeTensor> tensors = new LinkedHashMap<>();
            Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
            for (var e : weightMap.entrySet()) {
                SafetensorsFile f = byShard.get(e.getValue());
                if (!f.has(e.getKey())) throw new JllmException(index + ": tensor '" + e.getKey() + "' is mapped to " + e.getValue() + " but that file does not contain it");
                tensors.put(e.getKey(), f.tensor(e.getKey()));
                fileOf.put(e.getKey(), f);
            }
            return new Checkpoint(index, files, Collections.unmodifiableMap(tensors), fileOf);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Checkpoint fromFiles(Path source, List<SafetensorsFile> files, Void unused) {
        Map<String, SafeTensor> tensors = new LinkedHashMap<>();
        Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
        for (SafetensorsFile f : files) {
            for (SafeTensor t : f.tensors()) {
                tensors.put(t.name(), t);
                fileOf.put(t.name(), f);
            }
        }
        return new Checkpoint(source, files, Collections.unmodifiableMap(tensors), fileOf);
    }

    public Path source() {
        return source;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public SafeTensor tensor(String name) {
        SafeTensor t = tensors.get(name);
        if (t == null) throw new JllmException(source + ": tensor '" + name + "' is missing");
        return t;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}

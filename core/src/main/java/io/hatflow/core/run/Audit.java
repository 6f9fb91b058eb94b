package io.hatflow.core.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Checks a run directory against its manifest: the spec, every stage's inputs and outputs, the code version. */
public final class Audit {
  private Audit() {}

  /** One checked artifact: {@code ok}, or what differs. */
  public record Finding(String stage, String kind, String name, String path, String expected, String actual, boolean ok) {
    public String line() {
      String where = stage.isEmpty() ? name : stage + " " + kind + " " + name;
      if (ok) {
        return "ok        " + where + " (" + path + ")";
      }
      return "MISMATCH  " + where + " (" + path + "): expected sha256 " + abbrev(expected) + ", found " + abbrev(actual);
    }

    private static String abbrev(String s) {
      return s == null ? "nothing" : s.length() > 16 ? s.substring(0, 16) : s;
    }
  }

  public record Result(List<Finding> findings, String recordedCode, String currentCode) {
    public boolean ok() {
      return findings.stream().allMatch(Finding::ok);
    }

    public long mismatches() {
      return findings.stream().filter(f -> !f.ok()).count();
    }

    public ObjectNode toJson() {
      ObjectNode o = Manifest.json().createObjectNode();
      o.put("ok", ok());
      o.put("checked", findings.size());
      o.put("mismatches", mismatches());
      o.put("code_version_recorded", recordedCode);
      o.put("code_version_current", currentCode);
      o.put("code_version_matches", recordedCode != null && recordedCode.equals(currentCode));
      ArrayNode a = o.putArray("findings");
      for (Finding f : findings) {
        a.addObject().put("stage", f.stage()).put("kind", f.kind()).put("name", f.name()).put("path", f.path())
            .put("expected", f.expected()).put("actual", f.actual()).put("ok", f.ok());
      }
      return o;
    }
  }

  public static Result check(Path runDir) {
    if (!Files.exists(runDir.resolve(Manifest.FILE))) {
      throw new IllegalArgumentException(runDir + ": no " + Manifest.FILE + " (not a hatflow run directory)");
    }
    Manifest m = Manifest.load(runDir);
    List<Finding> out = new ArrayList<>();
    JsonNode spec = m.root().path("spec");
    out.add(check("", "spec", "spec.yaml", runDir.resolve(RunDir.SPEC_FILE), "spec.yaml", spec.path("sha256").asText(null)));
    for (Iterator<Map.Entry<String, JsonNode>> st = m.stages().fields(); st.hasNext(); ) {
      Map.Entry<String, JsonNode> stage = st.next();
      for (String kind : List.of("inputs", "outputs")) {
        for (Iterator<Map.Entry<String, JsonNode>> it = stage.getValue().path(kind).fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> a = it.next();
          String p = a.getValue().path("path").asText();
          String expected = a.getValue().path("sha256").asText(null);
          if (p.contains("://")) {
            continue;
          }
          Path file = Path.of(p).isAbsolute() ? Path.of(p) : runDir.resolve(p);
          out.add(check(stage.getKey(), kind, a.getKey(), file, p, expected));
        }
      }
    }
    return new Result(out, m.root().path("code_version").asText(null), CodeVersion.get());
  }

  private static Finding check(String stage, String kind, String name, Path file, String shown, String expected) {
    String actual = Files.exists(file) ? Digests.sha256Tree(file) : null;
    return new Finding(stage, kind, name, shown, expected, actual, actual != null && actual.equals(expected));
  }
}

package dlcourse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/** Reading, checking and writing nbformat 4 notebooks as JSON trees. */
final class Notebook {

  static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

  private Notebook() {}

  /** A notebook that cannot be run: the message names the file and the problem. */
  static final class BadNotebookException extends Exception {
    BadNotebookException(String message) {
      super(message);
    }
  }

  /**
   * Reads and checks {@code path}.
   *
   * @throws BadNotebookException if the file is missing, not JSON, not a notebook or not nbformat 4
   */
  static JsonObject read(Path path) throws BadNotebookException {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadNotebookException(path + ": no such file");
    } catch (IOException e) {
      throw new BadNotebookException(path + ": cannot read: " + e.getMessage());
    }
    JsonElement root;
    try {
      root = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      throw new BadNotebookException(path + ": not a notebook: the file is not valid JSON (" + e.getMessage() + ")");
    }
    if (!root.isJsonObject()) {
      throw new BadNotebookException(path + ": not a notebook: the JSON is not an object");
    }
    JsonObject nb = root.getAsJsonObject();
    JsonElement version = nb.get("nbformat");
    if (version == null || !version.isJsonPrimitive() || !version.getAsJsonPrimitive().isNumber()) {
      throw new BadNotebookException(path + ": not a notebook: no 'nbformat' number");
    }
    if (version.getAsInt() != 4) {
      throw new BadNotebookException(path + ": nbformat " + version.getAsInt()
          + " is not supported; only nbformat 4 runs (open and save the notebook in Jupyter to convert it)");
    }
    if (!nb.has("cells") || !nb.get("cells").isJsonArray()) {
      throw new BadNotebookException(path + ": not a notebook: no 'cells' array");
    }
    for (JsonElement cell : nb.getAsJsonArray("cells")) {
      if (!cell.isJsonObject() || !cell.getAsJsonObject().has("cell_type")) {
        throw new BadNotebookException(path + ": not a notebook: a cell has no 'cell_type'");
      }
    }
    return nb;
  }

  /** Returns a cell's source as one string (nbformat allows a string or a list of lines). */
  static String source(JsonObject cell) {
    JsonElement src = cell.get("source");
    if (src == null || src.isJsonNull()) {
      return "";
    }
    if (src.isJsonArray()) {
      StringBuilder sb = new StringBuilder();
      src.getAsJsonArray().forEach(e -> sb.append(e.getAsString()));
      return sb.toString();
    }
    return src.getAsString();
  }

  /** Returns true if the cell's metadata.tags contains {@code tag}. */
  static boolean hasTag(JsonObject cell, String tag) {
    JsonObject meta = cell.has("metadata") && cell.get("metadata").isJsonObject() ? cell.getAsJsonObject("metadata")
        : null;
    if (meta == null || !meta.has("tags") || !meta.get("tags").isJsonArray()) {
      return false;
    }
    for (JsonElement t : meta.getAsJsonArray("tags")) {
      if (t.isJsonPrimitive() && tag.equals(t.getAsString())) {
        return true;
      }
    }
    return false;
  }

  /** Returns a new code cell with {@code source} and the tag {@code tag}. */
  static JsonObject codeCell(String source, String tag, boolean withId) {
    JsonObject cell = new JsonObject();
    cell.addProperty("cell_type", "code");
    if (withId) {
      cell.addProperty("id", UUID.randomUUID().toString().substring(0, 8));
    }
    JsonObject meta = new JsonObject();
    JsonArray tags = new JsonArray();
    tags.add(tag);
    meta.add("tags", tags);
    cell.add("metadata", meta);
    cell.addProperty("source", source);
    cell.add("outputs", new JsonArray());
    cell.add("execution_count", null);
    return cell;
  }
}

package dlcourse.kernel;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/** Turns an executed notebook into one standalone HTML page, images inlined as data URIs. */
final class HtmlExport {

  private static final Pattern ANSI = Pattern.compile("\u001B\\[[;\\d]*m");
  private static final String STYLE =
      "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
          + "pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:90%}"
          + "pre.code{background:#eef3fb;border-left:3px solid #5b8dd6}"
          + "pre.error{background:#fdecec;border-left:3px solid #d33}"
          + "pre.stderr{background:#fff5e6}"
          + ".prompt{color:#888;font-size:80%;font-family:monospace}"
          + "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
          + "img{max-width:100%}";

  private HtmlExport() {}

  static String html(JsonObject notebook, String title) {
    StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        .append(Renderers.escape(title)).append("</title><style>").append(STYLE).append("</style></head><body>\n");
    for (JsonElement e : notebook.getAsJsonArray("cells")) {
      JsonObject cell = e.getAsJsonObject();
      String type = cell.get("cell_type").getAsString();
      String src = Notebook.source(cell);
      if (type.equals("markdown")) {
        sb.append("<div class=\"markdown\">").append(markdown(src)).append("</div>\n");
      } else if (type.equals("code")) {
        JsonElement count = cell.get("execution_count");
        sb.append("<div class=\"prompt\">In [").append(count == null || count.isJsonNull() ? " " : count.getAsString())
            .append("]:</div><pre class=\"code\">").append(Renderers.escape(src)).append("</pre>\n");
        JsonArray outputs = cell.has("outputs") ? cell.getAsJsonArray("outputs") : new JsonArray();
        for (JsonElement o : outputs) {
          output(sb, o.getAsJsonObject());
        }
      } else {
        sb.append("<pre>").append(Renderers.escape(src)).append("</pre>\n");
      }
    }
    return sb.append("</body></html>\n").toString();
  }

  private static void output(StringBuilder sb, JsonObject o) {
    String type = o.get("output_type").getAsString();
    switch (type) {
      case "stream" :
        sb.append("<pre class=\"").append(o.get("name").getAsString()).append("\">")
            .append(Renderers.escape(text(o.get("text")))).append("</pre>\n");
        break;
      case "error" :
        StringBuilder tb = new StringBuilder();
        o.getAsJsonArray("traceback").forEach(l -> tb.append(l.getAsString()).append('\n'));
        sb.append("<pre class=\"error\">").append(Renderers.escape(ANSI.matcher(tb).replaceAll(""))).append("</pre>\n");
        break;
      default :
        JsonObject data = o.getAsJsonObject("data");
        if (data == null) {
          return;
        }
        if (data.has("image/png")) {
          sb.append("<img src=\"data:image/png;base64,").append(text(data.get("image/png")).replace("\n", ""))
              .append("\">\n");
        } else if (data.has("image/svg+xml")) {
          sb.append(text(data.get("image/svg+xml"))).append('\n');
        } else if (data.has("text/html")) {
          sb.append("<div class=\"html\">").append(text(data.get("text/html"))).append("</div>\n");
        } else if (data.has("text/plain")) {
          sb.append("<pre>").append(Renderers.escape(text(data.get("text/plain")))).append("</pre>\n");
        }
    }
  }

  private static String text(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return "";
    }
    if (e.isJsonArray()) {
      StringBuilder sb = new StringBuilder();
      e.getAsJsonArray().forEach(x -> sb.append(x.getAsString()));
      return sb.toString();
    }
    return e.getAsString();
  }

  /** A small Markdown subset: headings, paragraphs, bullet lists, code blocks, inline code, bold, italics, links. */
  static String markdown(String src) {
    StringBuilder sb = new StringBuilder();
    boolean inList = false;
    boolean inCode = false;
    StringBuilder para = new StringBuilder();
    for (String line : src.split("\n", -1)) {
      if (line.strip().startsWith("```")) {
        flushPara(sb, para);
        if (inList) {
          sb.append("</ul>");
          inList = false;
        }
        sb.append(inCode ? "</pre>" : "<pre>");
        inCode = !inCode;
        continue;
      }
      if (inCode) {
        sb.append(Renderers.escape(line)).append('\n');
        continue;
      }
      Matcher h = Pattern.compile("^(#{1,6})\\s+(.*)$").matcher(line);
      if (h.matches()) {
        flushPara(sb, para);
        int level = h.group(1).length();
        sb.append("<h").append(level).append('>').append(inline(h.group(2))).append("</h").append(level).append(">\n");
      } else if (line.matches("^\\s*[-*]\\s+.*")) {
        flushPara(sb, para);
        if (!inList) {
          sb.append("<ul>");
          inList = true;
        }
        sb.append("<li>").append(inline(line.replaceFirst("^\\s*[-*]\\s+", ""))).append("</li>\n");
      } else if (line.isBlank()) {
        flushPara(sb, para);
        if (inList) {
          sb.append("</ul>\n");
          inList = false;
        }
      } else {
        para.append(line).append(' ');
      }
    }
    flushPara(sb, para);
    if (inList) {
      sb.append("</ul>");
    }
    if (inCode) {
      sb.append("</pre>");
    }
    return sb.toString();
  }

  private static void flushPara(StringBuilder sb, StringBuilder para) {
    if (para.length() > 0) {
      sb.append("<p>").append(inline(para.toString().strip())).append("</p>\n");
      para.setLength(0);
    }
  }

  private static String inline(String s) {
    String e = Renderers.escape(s);
    e = e.replaceAll("`([^`]+)`", "<code>$1</code>");
    e = e.replaceAll("\\*\\*([^*]+)\\*\\*", "<b>$1</b>");
    e = e.replaceAll("(?<![*\\w])\\*([^*]+)\\*(?!\\w)", "<i>$1</i>");
    e = e.replaceAll("\\[([^\\]]+)\\]\\(([^)\\s]+)\\)", "<a href=\"$2\">$1</a>");
    return e;
  }
}

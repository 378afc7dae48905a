package dev.agentbox.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** kubectl-style aligned columns (minimum width 10, 3 spaces of padding). */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(List<String> headers) {
        this.headers = headers;
    }

    void add(List<String> row) {
        rows.add(row);
    }

    /** The widths of the last {@link #print}, for the rows a watch prints after it. */
    private int[] width;

    void print(PrintWriter out) {
        int n = headers.size();
        width = new int[n];
        for (int i = 0; i < n; i++) width[i] = headers.get(i).length();
        for (List<String> r : rows) for (int i = 0; i < n; i++) width[i] = Math.max(width[i], cell(r, i).length());
        line(out, headers, width);
        for (List<String> r : rows) line(out, r, width);
    }

    /** The header alone (a watch that listed nothing), sized for it. */
    void printHeader(PrintWriter out) {
        if (width == null) {
            width = new int[headers.size()];
            for (int i = 0; i < width.length; i++) width[i] = headers.get(i).length();
        }
        line(out, headers, width);
    }

    /** One more row, in the columns of what was printed before (kubectl get -w keeps the first widths as well). */
    void printRow(PrintWriter out, List<String> row) {
        if (width == null) {
            width = new int[headers.size()];
            for (int i = 0; i < width.length; i++) width[i] = headers.get(i).length();
        }
        line(out, row, width);
    }

    private static String cell(List<String> row, int i) {
        String s = i < row.size() ? row.get(i) : "";
        return s == null || s.isEmpty() ? "<none>" : s;
    }

    private static void line(PrintWriter out, List<String> row, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            String c = cell(row, i);
            sb.append(c);
            // at least 3 spaces: a row printed after the widths were fixed (a watch) may be wider than its column
            if (i < width.length - 1) sb.append(" ".repeat(Math.max(3, Math.max(10, width[i] + 3) - c.length())));
        }
        out.println(sb.toString().stripTrailing());
    }
}

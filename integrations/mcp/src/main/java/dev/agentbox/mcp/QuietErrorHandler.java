package dev.agentbox.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error answers (a request Jetty refuses before the MCP endpoint sees it, or one that fails inside) as a short
 * JSON-RPC error naming the status only: never a stack trace, an exception's message, or Jetty's HTML page.
 */
final class QuietErrorHandler extends ErrorHandler {
    QuietErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
        setShowMessageInTitle(false);
        setShowOrigin(false);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback)
            throws IOException {
        super.generateResponse(request, response, code, HttpGuard.reason(code), null, callback);
    }

    @Override
    protected boolean generateAcceptableResponse(Request request, Response response, Callback callback, String contentType,
                                                 List<Charset> charsets, int code, String message, Throwable cause) throws IOException {
        return super.generateAcceptableResponse(request, response, callback, "application/json", List.of(StandardCharsets.UTF_8),
                code, message, null);
    }

    @Override
    protected void writeErrorJson(Request request, PrintWriter writer, int code, String message, Throwable cause) {
        writer.write(new String(HttpGuard.errorBody(McpJsonDefaults.getMapper(), message), StandardCharsets.UTF_8));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(HttpGuard.errorBody(McpJsonDefaults.getMapper(), HttpGuard.reason(status)));
    }
}

// Starts `k8s-lint lsp` for YAML files: diagnostics across manifests, code actions (fixes and
// suppressions), go-to-definition and hover. All the logic is in the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("k8s-lint").get("path") || "k8s-lint";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "k8s-lint",
    "k8s-lint",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "yaml" }],
      synchronize: {
        // Files the editor does not have open change the findings too.
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml,json}"),
      },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

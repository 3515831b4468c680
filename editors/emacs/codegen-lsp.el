;;; codegen-lsp.el --- codegen-lsp through eglot (Emacs 28+ with eglot 1.9+, Emacs 29+ built in)

;; Load this file from your init (or copy the forms): (load "/path/to/editors/emacs/codegen-lsp.el")
;; Then open a Python file and M-x eglot. Code actions: M-x eglot-code-actions (bound below to
;; C-c c a), or the lightbulb/flymake menus.
;;
;; eglot runs one server per buffer: this replaces pylsp/pyright for Python buffers where you
;; start it.  Settings are the server's tree (docs/settings.md), camelCase, under :codegenLsp.

(require 'eglot)

(add-to-list 'eglot-server-programs
             '((python-mode python-ts-mode) . ("codegen-lsp" "--stdio")))

;; Answered to the server's workspace/configuration request; change and M-x eglot-reconnect.
(setq-default eglot-workspace-configuration
              '(:codegenLsp (:sampling (:n 8)
                             :server (:warmup t :maxActions 3))))

;; "Generate implementations…" applies the best passing body through workspace/applyEdit: let it
;; apply without a yes/no prompt (the code action title already showed the evidence).
(setq eglot-confirm-server-initiated-edits nil)

(with-eval-after-load 'eglot
  (define-key eglot-mode-map (kbd "C-c c a") #'eglot-code-actions))

;;; codegen-lsp.el ends here

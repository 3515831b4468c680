;;; eglot_drive.el --- batch Emacs + eglot drives codegen-lsp like a user -*- lexical-binding: t -*-
;; Env: LSP_CMD, LSP_SETTINGS (JSON, sent as initializationOptions and as the `codegenLsp'
;; workspace configuration), TARGET, LINE, COL (0-based), TITLE (prefix), WAIT_S.
;; QUIT_WHEN_LOG, QUIT_WHEN_TEXT: quit Emacs (as C-x C-c would, without stopping the server
;; first) once that file holds that text, mid-generation.  A timer does it: eglot 1.9 blocks in
;; the command's request, and timers run while it waits.
(require 'eglot)
(require 'python)
(require 'json)
(setq eglot-confirm-server-initiated-edits nil   ; no y-or-n-p for workspace/applyEdit
      eglot-sync-connect 30
      eglot-events-buffer-size 0
      ;; eglot 1.9 (Emacs 28) sends no clientInfo, so the server cannot tell it to answer its
      ;; blocking executeCommand at once: give the command as long as a generation takes.
      jsonrpc-default-request-timeout 900)
(defun drive-fail (fmt &rest args)
  (princ (concat "FAIL: " (apply #'format fmt args) "\n") #'external-debugging-output)
  (kill-emacs 1))
(let* ((settings (json-parse-string (getenv "LSP_SETTINGS") :object-type 'plist
                                     :false-object :json-false :null-object nil))
       (title (getenv "TITLE"))
       (wait (string-to-number (getenv "WAIT_S"))))
  (setq eglot-server-programs
        `((python-mode . (,@(split-string (getenv "LSP_CMD"))
                          :initializationOptions ,settings))))
  (setq-default eglot-workspace-configuration
                `((:codegenLsp . ,(plist-get settings :codegenLsp))))
  (condition-case err
      (let (before)
        (find-file (getenv "TARGET"))
        (python-mode)
        (setq before (buffer-string))
        (apply #'eglot (eglot--guess-contact))
        (unless (eglot-current-server) (drive-fail "no server"))
        (goto-char (point-min))
        (forward-line (string-to-number (getenv "LINE")))
        (forward-char (string-to-number (getenv "COL")))
        ;; M-x eglot-code-actions, the minibuffer pick answered by the title.
        (let ((log (getenv "QUIT_WHEN_LOG")) (text (getenv "QUIT_WHEN_TEXT")))
          (when (and log (not (string-empty-p log)))
            (run-at-time 0.1 0.1
                         (lambda ()
                           (when (and (file-exists-p log)
                                      (with-temp-buffer
                                        (insert-file-contents log)
                                        (search-forward text nil t)))
                             (kill-emacs 0))))))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (let ((entry (seq-find (lambda (c) (string-prefix-p title (car c)))
                                            collection)))
                       (if entry (car entry)
                         (drive-fail "menu had: %S" (mapcar #'car collection)))))))
          (let ((last-nonmenu-event 13))
            (eglot-code-actions (point) (point) nil t)))
        (with-timeout (wait (drive-fail "no edit applied"))
          (while (equal before (buffer-string))
            (accept-process-output nil 0.1)))
        (save-buffer)
        (eglot-shutdown (eglot-current-server))
        (kill-emacs 0))
    (error (drive-fail "%S" err))))

"""The page's own styles: citations, the AI label, notices, and a layout that works on a phone."""

CSS = """
#masthead { align-items: center; gap: 8px; }
#brand h2 { margin: 0; }
#who { text-align: right; color: var(--body-text-color-subdued); }

.ai-label { font-size: 0.8em; color: var(--body-text-color-subdued); margin: 0.6em 0 0; }
.badge { display: inline-block; font-size: 0.85em; padding: 0 6px; border-radius: 4px; margin-right: 4px;
  border: 1px solid currentColor; }
.working { color: var(--body-text-color-subdued); font-style: italic; margin: 0; }
.caution { color: #92400e; font-size: 0.9em; }
.decline { background: #fffbeb; border-left: 4px solid #f59e0b; padding: 8px 12px; border-radius: 6px; }
.error { color: #b91c1c; background: #fef2f2; padding: 8px 12px; border-radius: 6px; margin: 0; }
.ok { color: #166534; background: #f0fdf4; padding: 8px 12px; border-radius: 6px; margin: 0; }

.citations { margin-top: 0.6em; border-top: 1px solid var(--border-color-primary); padding-top: 0.4em; }
.cite-head { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.2em; }
details.citation { margin: 0.25em 0; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 4px 8px; background: var(--background-fill-secondary); }
details.citation summary { cursor: pointer; font-weight: 600; }
.cite-path { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0.3em 0; }
.cite-text { white-space: pre-wrap; font-size: 0.9em; line-height: 1.6; }
.cite-status { color: #b45309; font-weight: normal; }
.excerpt { margin: 0.6em 0; border-left: 3px solid var(--color-accent); padding: 4px 10px;
  background: var(--background-fill-secondary); border-radius: 4px; }
.excerpt-head, .review-head { font-size: 0.85em; font-weight: 600; color: var(--body-text-color-subdued); }
.excerpt ul, .review ul { margin: 0.2em 0 0.2em 1.1em; padding: 0; font-size: 0.92em; line-height: 1.6; }
.excerpt-title { font-size: 0.85em; color: var(--body-text-color-subdued); }
.review { margin: 0.4em 0; font-size: 0.88em; color: #92400e; }
.record-note { font-size: 0.85em; color: var(--body-text-color-subdued); }
.score { font-weight: normal; font-size: 0.85em; color: var(--body-text-color-subdued); }
.verdict { font-weight: 600; }

.guide { border: 1px solid var(--color-accent); border-radius: 8px; padding: 8px 12px; }
.guide-title { font-weight: 700; margin-bottom: 0.3em; }
.guide-steps { margin: 0.3em 0 0.3em 1.2em; padding: 0; }

.paper { white-space: pre-wrap; background: #fff; color: #111; border: 1px solid var(--border-color-primary);
  border-radius: 4px; padding: 16px 20px; min-height: 240px; line-height: 1.9;
  font-family: FangSong, STFangsong, "FangSong_GB2312", "Noto Serif CJK SC", serif; }
ul.findings { margin: 0.3em 0 0.6em 1.2em; }

table.outcomes { width: 100%; border-collapse: collapse; margin-top: 0.5em; font-size: 0.9em; }
table.outcomes th, table.outcomes td { border: 1px solid var(--border-color-primary); padding: 4px 6px;
  text-align: left; }
table.outcomes tr.failed td { color: #b91c1c; }
#delete { align-self: flex-end; max-height: 44px; }
.hint { font-size: 0.85em; color: var(--body-text-color-subdued); }

.light { display: inline-flex; align-items: center; gap: 3px; white-space: nowrap; font-weight: 600; }
.light-mark { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; }
.light-red { color: #b91c1c; }
.light-red .light-mark { background: #dc2626; }
.light-yellow { color: #a16207; }
.light-yellow .light-mark { background: #eab308; }
.light-green { color: #15803d; }
.light-green .light-mark { background: #16a34a; }
.light-none { color: var(--body-text-color-subdued); font-weight: normal; }
.light-none .light-mark { border: 1.5px solid #94a3b8; }
table.cases { width: 100%; border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0 0.6em;
  border: none; }
table.cases tr { border: none; }
table.cases th, table.cases td { border: none; border-bottom: 1px solid var(--border-color-primary);
  padding: 5px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.cases th { background: var(--background-fill-secondary); white-space: nowrap; }
table.worklist tbody tr { cursor: pointer; }
table.worklist tbody tr:hover, table.worklist tbody tr:focus { background: var(--background-fill-secondary); }
.precheck { min-width: 5em; padding: 2px 6px; border: 1px dashed var(--border-color-primary); border-radius: 4px;
  color: var(--body-text-color-subdued); font-size: 0.9em; }
.precheck ul { margin: 0.2em 0 0 1em; padding: 0; }
.precheck .status-ok { color: #15803d; }
.precheck .status-warning, .precheck .finding-warning { color: #a16207; }
.precheck .status-error, .precheck .finding-error { color: #b91c1c; }
.case-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; font-size: 1.05em; }
.case-number { font-family: var(--font-mono); font-weight: 700; }
.deadlines { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0.3em 0; }
ul.notes { margin: 0.2em 0 0.4em 1.2em; }
.applicant { margin: 0.3em 0; line-height: 1.8; }
.submitted p { margin: 0.2em 0; }
.case-code { font-family: var(--font-mono); font-size: 1.2em; letter-spacing: 1px; }

@media (max-width: 640px) {
  table.cases thead { display: none; }
  table.cases, table.cases tbody, table.cases tr {
    display: block; width: 100%; }
  table.cases tr { border-bottom: 2px solid var(--border-color-primary); padding: 4px 0; }
  table.cases td { display: flex; gap: 8px; border: none; padding: 2px 4px; }
  table.cases td > div { flex: 1; min-width: 0; }
  table.cases td::before { content: attr(data-label); flex: 0 0 5.5em;
    color: var(--body-text-color-subdued); }
  .gradio-container { padding: 4px !important; }
  #brand h2 { font-size: 1.2em; }
  #ask-row { flex-wrap: nowrap !important; }
}
"""

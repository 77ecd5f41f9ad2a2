--[[
Quarto's conditional content for the pandoc preview of the book
(quarto.org/docs/authoring/conditional): divs, spans and code blocks with the class
.content-visible or .content-hidden and a when-format / unless-format condition.

    [data links]{.content-visible when-format="html"}     only in the HTML
    ::: {.content-hidden when-format="html"} … :::         everywhere but the HTML

Matching follows Quarto's own rules (quarto-cli: filters/quarto-pre/content-hidden.lua and
pandoc/datadir/_format.lua, isFormat):
  * all conditions must hold: when-format matches AND unless-format does not;
    .content-visible shows the content when they hold, .content-hidden hides it then;
  * "html" matches html, html4, html5, epub* and HTML slides; "pdf" and "latex" match
    LaTeX output only, NOT typst, so when-format="pdf" is hidden in the typst PDF, as in
    Quarto's typst book; "typst" matches typst; otherwise the name must equal FORMAT.
  * a visible div is replaced by its content; a visible span or code block stays with the
    condition classes and attributes taken off; hidden ones are removed.
  * profiles (when-profile / unless-profile) are outside the book's Quarto subset
    (docs/quarto-subset.md; tests/test_quarto_compat.py keeps them out of the book).
Runs before crossref.lua, so hidden figures, tables and links are never numbered or copied.
]]

local VISIBLE, HIDDEN = "content-visible", "content-hidden"
local CONDITIONS = { "when-format", "unless-format" }

local HTML_FORMATS = {
  html = true, html4 = true, html5 = true, epub = true, epub2 = true, epub3 = true,
  s5 = true, dzslides = true, slidy = true, slideous = true, revealjs = true,
}
local LATEX_FORMATS = { latex = true, beamer = true, pdf = true }

local function is_format(to)
  if FORMAT == to then
    return true
  elseif to == "html" then
    return HTML_FORMATS[FORMAT] == true
  elseif to == "latex" or to == "pdf" then
    return LATEX_FORMATS[FORMAT] == true
  elseif to:match("epub") then
    return FORMAT:match("^epub") ~= nil
  end
  return false
end

local function conditions_hold(attributes)
  local match = true
  if attributes["when-format"] ~= nil then
    match = match and is_format(attributes["when-format"])
  end
  if attributes["unless-format"] ~= nil then
    match = match and not is_format(attributes["unless-format"])
  end
  return match
end

-- true/false for a conditional element, nil for any other
local function visible(el)
  local classes = el.classes
  local kind = classes:includes(VISIBLE) and VISIBLE or (classes:includes(HIDDEN) and HIDDEN or nil)
  if not kind then
    return nil
  end
  local holds = conditions_hold(el.attributes)
  for _, name in ipairs(CONDITIONS) do
    el.attributes[name] = nil
  end
  el.classes = classes:filter(function(c) return c ~= VISIBLE and c ~= HIDDEN end)
  if kind == VISIBLE then
    return holds
  end
  return not holds
end

-- spans and code blocks stay (without the condition) when shown
local function keep_scaffolding(el)
  local shown = visible(el)
  if shown == nil or shown then
    return el
  end
  return {}
end

-- Bottom-up: a nested condition is settled first; a hidden outer one removes it anyway.
return {
  {
    Div = function(el)
      local shown = visible(el)
      if shown == nil then
        return nil
      end
      return shown and el.content or {}
    end,
    Span = keep_scaffolding,
    CodeBlock = keep_scaffolding,
  },
}

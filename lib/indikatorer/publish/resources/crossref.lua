--[[
Quarto-style chapters and cross-references for the pandoc preview of the book.

indikatorer.publish.render joins all chapters into one Markdown document and puts an empty marker
Div before each chapter:

    ::: {.book-chapter kind="chapter" dir="notebooks"}
    :::

kind is "front" (unnumbered), "chapter" (1, 2, …) or "appendix" (A, B, …); dir is the
chapter's folder relative to the project root, file its source file. This filter
  * numbers chapter and section headings (a heading with .unnumbered is left alone),
  * numbers figures (#fig-…) and tables (#tbl-…) per chapter: "Figur 2.1", "Tabell A.1",
  * turns @fig-…/@tbl-…/@sec-… (pandoc reads them as citations) into links with that text,
    so --citeproc only sees real citations; an unknown label is an error that lists them all,
  * takes fig-alt as the image's alt text (HTML alt, typst alt:),
  * makes relative links and image paths relative to the project root,
  * in HTML, turns a link to a chapter's source file (notebooks/01-arbeid.ipynb) into a link
    to that chapter, as Quarto turns it into a link to the chapter's page, and says so on
    stderr (render.py reports it as a warning),
  * renders callouts (::: {.callout-note title="…" collapse="true"}) as titled boxes; the
    default titles come from metadata (callout-note-title, …).
The words come from metadata (crossref-fig-title, …), which render.py fills from the
language: block of _quarto.yml.
]]

local CROSSREF_PREFIXES = { fig = true, tbl = true, sec = true }

-- Quarto's five callout types and their colours.
local CALLOUT_COLOURS = {
  note = "#0758E5", warning = "#EB9113", important = "#CC1914", tip = "#00A047", caution = "#FC5300",
}

local function meta_text(meta, key, default)
  if meta[key] ~= nil then
    return pandoc.utils.stringify(meta[key])
  end
  return default
end

local function letter(n)
  -- 1 -> A, 26 -> Z, 27 -> AA
  local s = ""
  while n > 0 do
    local r = (n - 1) % 26
    s = string.char(65 + r) .. s
    n = (n - 1) // 26
  end
  return s
end

local function crossref_kind(id)
  local prefix = id:match("^(%a+)%-")
  if prefix and CROSSREF_PREFIXES[prefix] then
    return prefix
  end
  return nil
end

local function is_relative(target)
  return target ~= ""
    and not target:match("^#")
    and not target:match("^/")
    and not target:match("^%a[%w+.-]*:")
end

-- "chapters/../notebooks/x.png" -> "notebooks/x.png"
local function normalize(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then
      table.remove(parts)
    elseif part ~= "." then
      table.insert(parts, part)
    end
  end
  return table.concat(parts, "/")
end

local function from_root(dir, target)
  if dir == "" or not is_relative(target) then
    return target
  end
  return normalize(dir .. "/" .. target)
end

local function typst_string(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function prepend_to_caption(caption_blocks, text)
  local label = { pandoc.Str(text .. ":"), pandoc.Space() }
  if #caption_blocks == 0 then
    return { pandoc.Plain({ pandoc.Str(text) }) }
  end
  local first = caption_blocks[1]
  if first.content then
    first.content = label .. first.content
  else
    table.insert(caption_blocks, 1, pandoc.Plain(label))
  end
  return caption_blocks
end

function Pandoc(doc)
  local words = {
    fig = meta_text(doc.meta, "crossref-fig-title", "Figur"),
    tbl = meta_text(doc.meta, "crossref-tbl-title", "Tabell"),
    ch = meta_text(doc.meta, "crossref-ch-prefix", "Kapittel"),
    apx = meta_text(doc.meta, "crossref-apx-prefix", "Vedlegg"),
    sec = meta_text(doc.meta, "crossref-sec-prefix", "Avsnitt"),
  }

  local labels = {}          -- id -> text, e.g. "fig-syss" -> "Figur 2.1"
  local chapter_anchor = {}  -- chapter source file -> id of its level-1 heading
  local chapter_count, appendix_count = 0, 0
  local chapter = { kind = "front", dir = "", file = "", prefix = nil, titled = false }
  local counts = { fig = 0, tbl = 0 }
  local section_counts = {}

  local function numbered(n)
    if chapter.prefix then
      return chapter.prefix .. "." .. n
    end
    return tostring(n)
  end

  local function register(id, text)
    if labels[id] then
      error("Kryssreferansen #" .. id .. " er definert mer enn én gang.")
    end
    labels[id] = text
  end

  local function on_header(el)
    local unnumbered = el.classes:includes("unnumbered")
    if el.level == 1 and not chapter.titled then
      chapter.titled = true
      if chapter.file ~= "" and el.identifier ~= "" then
        chapter_anchor[chapter.file] = el.identifier
      end
      if chapter.kind ~= "front" and not unnumbered then
        if chapter.kind == "appendix" then
          appendix_count = appendix_count + 1
          chapter.prefix = letter(appendix_count)
        else
          chapter_count = chapter_count + 1
          chapter.prefix = tostring(chapter_count)
        end
        el.content = { pandoc.Span({ pandoc.Str(chapter.prefix) }, { class = "header-section-number" }),
          pandoc.Space() } .. el.content
        if crossref_kind(el.identifier) == "sec" then
          local word = chapter.kind == "appendix" and words.apx or words.ch
          register(el.identifier, word .. " " .. chapter.prefix)
        end
      end
      return el
    end
    if el.level > 1 and chapter.prefix and not unnumbered then
      -- level 2 -> 2.1, level 3 -> 2.1.1
      section_counts[el.level] = (section_counts[el.level] or 0) + 1
      for level = el.level + 1, 6 do
        section_counts[level] = nil
      end
      local parts = { chapter.prefix }
      for level = 2, el.level do
        table.insert(parts, tostring(section_counts[level] or 0))
      end
      local number = table.concat(parts, ".")
      el.content = { pandoc.Span({ pandoc.Str(number) }, { class = "header-section-number" }),
        pandoc.Space() } .. el.content
      if crossref_kind(el.identifier) == "sec" then
        register(el.identifier, words.sec .. " " .. number)
      end
    end
    return el
  end

  -- Figures and tables are numbered the same way, each kind with its own per-chapter count.
  local function numberer(kind)
    return function(el)
      if crossref_kind(el.identifier) ~= kind then
        return el
      end
      counts[kind] = counts[kind] + 1
      local text = words[kind] .. " " .. numbered(counts[kind])
      register(el.identifier, text)
      el.caption.long = prepend_to_caption(el.caption.long, text)
      return el
    end
  end
  local on_figure, on_table = numberer("fig"), numberer("tbl")

  local function on_image(el)
    el.src = from_root(chapter.dir, el.src)
    local alt = el.attributes["fig-alt"]
    el.attributes["fig-alt"] = nil
    if alt then
      el.caption = { pandoc.Str(alt) }
    end
    if FORMAT == "typst" then
      -- pandoc's typst writer drops alt text; write the call ourselves.
      local text = alt or pandoc.utils.stringify(el.caption)
      return pandoc.RawInline("typst",
        "#image(" .. typst_string(el.src) .. ", alt: " .. typst_string(text) .. ")")
    end
    return el
  end

  local function on_link(el)
    el.target = from_root(chapter.dir, el.target)
    return el
  end

  local per_chapter = {
    traverse = "topdown",
    Header = on_header,
    Figure = on_figure,
    Table = on_table,
    Image = on_image,
    Link = on_link,
  }

  -- Pass 1: walk the chapters in order, number everything and collect the labels.
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("book-chapter") then
      chapter = {
        kind = block.attributes["kind"] or "chapter",
        dir = block.attributes["dir"] or "",
        file = block.attributes["file"] or "",
        prefix = nil,
        titled = false,
      }
      counts, section_counts = { fig = 0, tbl = 0 }, {}
    else
      -- walk a list, not the block: Block:walk skips the block itself
      blocks:extend(pandoc.Blocks({ block }):walk(per_chapter))
    end
  end

  -- Pass 2: resolve @fig-/@tbl-/@sec- now that every label is known; links to chapter
  -- files; callouts.
  local unresolved, seen = {}, {}
  local warned_links = {}

  local function chapter_link(el)
    if not FORMAT:match("html") then
      return nil
    end
    local path, fragment = el.target:match("^([^#]*)(#?.*)$")
    local anchor = chapter_anchor[path]
    if not anchor then
      return nil
    end
    if not warned_links[path] then
      warned_links[path] = true
      io.stderr:write("lenken til kapittelfilen " .. path .. " blir i Quarto en lenke til "
        .. "kapitlets side, ikke til filen; lenk til en kopi utenfor kapitlene for nedlasting\n")
    end
    el.target = fragment ~= "" and fragment or ("#" .. anchor)
    return el
  end

  local function callout_type(el)
    for _, class in ipairs(el.classes) do
      local kind = class:match("^callout%-(%a+)$")
      if kind and CALLOUT_COLOURS[kind] then
        return kind
      end
    end
    return nil
  end

  local function callout(el)
    local kind = callout_type(el)
    if not kind then
      return nil
    end
    local content = pandoc.Blocks(el.content)
    local title
    if el.attributes["title"] then
      title = pandoc.utils.blocks_to_inlines(pandoc.read(el.attributes["title"], "markdown").blocks)
    elseif #content > 0 and content[1].t == "Header" then
      title = content[1].content  -- Quarto: the first heading in a callout is its title
      content:remove(1)
    else
      title = pandoc.Inlines({ pandoc.Str(meta_text(doc.meta, "callout-" .. kind .. "-title", kind)) })
    end
    local colour = CALLOUT_COLOURS[kind]
    if FORMAT:match("html") then
      local class = "callout callout-" .. kind
      if el.attributes["collapse"] == "true" then
        local summary = pandoc.write(pandoc.Pandoc({ pandoc.Plain(title) }), "html"):gsub("%s+$", "")
        local out = pandoc.Blocks({
          pandoc.RawBlock("html", '<details class="' .. class .. '"><summary class="callout-title">'
            .. summary .. "</summary>"),
          pandoc.Div(content, { class = "callout-body" }),
          pandoc.RawBlock("html", "</details>"),
        })
        return out
      end
      return pandoc.Div({
        pandoc.Div({ pandoc.Plain(title) }, { class = "callout-title" }),
        pandoc.Div(content, { class = "callout-body" }),
      }, { class = class })
    elseif FORMAT == "typst" then
      local out = pandoc.Blocks({
        pandoc.RawBlock("typst", '#block(width: 100%, breakable: true, inset: 8pt, radius: 2pt, '
          .. 'stroke: (left: 3pt + rgb("' .. colour .. '")), fill: rgb("' .. colour .. '").lighten(93%))['),
        pandoc.Para({ pandoc.Strong(title) }),
      })
      out:extend(content)
      out:insert(pandoc.RawBlock("typst", "]"))
      return out
    end
    return nil
  end

  blocks = blocks:walk({
    Link = chapter_link,
    Div = callout,
    Cite = function(el)
      if not crossref_kind(el.citations[1].id) then
        return nil
      end
      local out = pandoc.Inlines({})
      for i, citation in ipairs(el.citations) do
        local id = citation.id
        local text = labels[id]
        if not text then
          if not seen[id] then
            seen[id] = true
            table.insert(unresolved, "@" .. id)
          end
          text = "?" .. id
        elseif citation.mode == "SuppressAuthor" then
          text = text:match("(%S+)$")   -- [-@fig-x] -> "2.1"
        end
        if i > 1 then
          out:extend({ pandoc.Str(","), pandoc.Space() })
        end
        out:insert(pandoc.Link({ pandoc.Str(text) }, "#" .. id))
      end
      return out
    end,
  })
  if #unresolved > 0 then
    error("Ukjente kryssreferanser (ingen figur, tabell eller seksjon med denne etiketten): "
      .. table.concat(unresolved, ", "))
  end

  doc.blocks = blocks
  return doc
end

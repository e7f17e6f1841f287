/** The frame of a per-target block (rendered object or diff). */
import styled from 'styled-components';

export const DiffFrame = styled.div`
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  margin-bottom: 10px;
  background: #fff;
  > button {
    display: flex;
    width: 100%;
    gap: 10px;
    align-items: center;
    padding: 8px 12px;
    border: none;
    background: #f9fbfd;
    cursor: pointer;
    font-size: 12px;
    text-align: left;
    color: #242e42;
  }
  .muted {
    color: #5f708a;
  }
  .action {
    padding: 0 6px;
    border-radius: 2px;
    font-weight: 600;
    background: #eff4f9;
  }
  .action[data-action='create'] {
    background: #e3f6ec;
    color: #2a8a5c;
  }
  .action[data-action='update'] {
    background: #fff4e0;
    color: #b86e00;
  }
  .action[data-action='delete'] {
    background: #fde8e8;
    color: #ca2621;
  }
  ul {
    margin: 0;
    padding: 8px 12px 8px 28px;
    font-size: 12px;
  }
  li {
    margin-bottom: 4px;
    word-break: break-all;
  }
  code {
    font-family: 'Roboto Mono', Menlo, Consolas, monospace;
    color: #242e42;
    background: #f1f4f9;
    border-radius: 2px;
    padding: 0 3px;
  }
  /* The kit's global style quotes code in backticks; a diff needs none. */
  code::before,
  code::after {
    content: none;
  }
  table.sides {
    width: 100%;
    border-collapse: collapse;
    table-layout: fixed;
    font-size: 12px;
  }
  table.sides th {
    text-align: left;
    font-weight: 600;
    color: #5f708a;
    padding: 4px 12px;
    border-bottom: 1px solid #e3e9ef;
  }
  table.sides th:first-child {
    width: 28%;
  }
  table.sides td {
    vertical-align: top;
    padding: 4px 12px;
    border-bottom: 1px solid #eff4f9;
    word-break: break-word;
  }
  table.sides pre {
    margin: 0;
    white-space: pre-wrap;
    font-family: 'Roboto Mono', Menlo, Consolas, monospace;
  }
  table.sides td.old {
    background: #fff1f0;
    color: #a8071a;
  }
  table.sides td.new {
    background: #effaf4;
    color: #1c6b45;
  }
`;

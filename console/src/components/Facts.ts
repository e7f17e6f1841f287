/** A page's facts as a responsive grid of term / value pairs (`<dt>` / `<dd>`). */
import styled from 'styled-components';

export const Facts = styled.dl`
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 12px 24px;
  margin: 0;
  font-size: 12px;
  dt {
    color: #5f708a;
    margin-bottom: 2px;
  }
  dd {
    margin: 0;
    color: #242e42;
    word-break: break-word;
  }
`;

import styled from 'styled-components';

/** A small tag beside a cluster's name: "overrides", "suspended". */
export const Marker = styled.span`
  margin-left: 6px;
  padding: 0 4px;
  border-radius: 2px;
  background: #fff4e0;
  color: #b86e00;
  font-size: 11px;
  font-weight: normal;
`;
